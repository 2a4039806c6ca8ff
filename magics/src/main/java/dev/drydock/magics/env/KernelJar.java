package dev.drydock.magics.env;

import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Drydock jar that an EO image installs as its Jupyter kernel: the very jar this kernel runs from, so
 * the orchestration environment runs the same Drydock as the notebook that built it.
 *
 * @param sha256 the jar's content hash: a new Drydock is a new input of the EO environment
 */
public record KernelJar(Path path, String sha256) {

    /** The name of the jar inside the build context and the image. */
    static final String CONTEXT_NAME = "drydock.jar";

    /** Hashing 30 MB on every no-op {@code %env build} of an EO environment would cost more than the build check. */
    private static final Map<String, KernelJar> HASHED = new ConcurrentHashMap<>();

    /** The jar holding this class, hashed; an error when Drydock runs from a classes folder (a development build). */
    public static KernelJar running() throws MagicException {
        Path location;
        try {
            location = Path.of(KernelJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            throw notAJar("an unknown place");
        }
        return of(location);
    }

    /** The jar at {@code path}, hashed; a jar seen before with the same size and time is not read again. */
    public static KernelJar of(Path path) throws MagicException {
        if (!Files.isRegularFile(path) || !path.getFileName().toString().endsWith(".jar")) {
            throw notAJar(path.toString());
        }
        String stamp;
        try {
            stamp = path.toAbsolutePath() + "|" + Files.size(path) + "|" + Files.getLastModifiedTime(path).toMillis();
        } catch (IOException e) {
            throw MagicException.failed("Cannot read the Drydock jar " + path + ": " + e.getMessage());
        }
        KernelJar known = HASHED.get(stamp);
        if (known != null) {
            return known;
        }
        MessageDigest digest = BuildInputs.digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(path), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw MagicException.failed("Cannot read the Drydock jar " + path + " to put it into the EO image: "
                    + e.getMessage());
        }
        KernelJar jar = new KernelJar(path, HexFormat.of().formatHex(digest.digest()));
        HASHED.put(stamp, jar);
        return jar;
    }

    private static MagicException notAJar(String where) {
        return MagicException.failed("An eo-stage environment installs the Drydock kernel from the jar this kernel runs"
                + " from, but this Drydock was loaded from " + where + ", not a jar. Build it from the installed"
                + " kernel (./mvnw package, then java -jar kernel/target/drydock.jar install) or pick another stage"
                + " with --stage train or --stage score.");
    }
}
