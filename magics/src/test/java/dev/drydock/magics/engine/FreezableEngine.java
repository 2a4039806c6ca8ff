package dev.drydock.magics.engine;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * The real engine behind a unix socket that can freeze, as a SIGSTOPped dockerd does for its clients: once
 * frozen, connections stay open and nothing more goes either way, new ones included. The shared engine itself
 * is never stopped.
 */
public final class FreezableEngine implements Closeable {

    private final Path socket;
    private final ServerSocketChannel server;
    private final CountDownLatch thawed = new CountDownLatch(1);
    private final List<SocketChannel> channels = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;

    public FreezableEngine(Path folder) throws IOException {
        this.socket = folder.resolve("frozen-" + System.nanoTime() + ".sock");
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread acceptor = new Thread(this::accept, "freezable-engine");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public URI endpoint() {
        return URI.create("unix://" + socket);
    }

    public void freeze() {
        frozen = true;
    }

    private void accept() {
        while (true) {
            try {
                SocketChannel client = server.accept();
                channels.add(client);
                SocketChannel engine = SocketChannel.open(UnixDomainSocketAddress.of(DockerConfig.DEFAULT_HOST.getPath()));
                channels.add(engine);
                relay(client, engine);
                relay(engine, client);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void relay(SocketChannel from, SocketChannel to) {
        Thread thread = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                while (from.read(buffer) >= 0) {
                    while (frozen) {
                        thawed.await();
                    }
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        to.write(buffer);
                    }
                    buffer.clear();
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                // Closed: the test is over.
            }
        }, "freezable-engine-relay");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel channel : channels) {
            channel.close();
        }
        Files.deleteIfExists(socket);
    }
}
