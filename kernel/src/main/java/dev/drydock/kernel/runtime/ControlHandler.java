package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.Message;
import java.util.logging.Logger;

/**
 * Requests on the control socket, on their own thread, so they are answered at once even while a cell
 * runs: interrupt, shutdown, and kernel_info (protocol 5.5 lets clients ask there).
 */
final class ControlHandler {

    private static final Logger LOG = Logger.getLogger(ControlHandler.class.getName());

    private final Kernel kernel;
    private final Execution execution;

    ControlHandler(Kernel kernel, Execution execution) {
        this.kernel = kernel;
        this.execution = execution;
    }

    void handle(Message message) {
        switch (message.msgType()) {
            case "interrupt_request" -> {
                // Reply first: the client waits for it, and stopping the cell may take a moment.
                reply(message, "interrupt_reply", kernel.messages().json().createObjectNode().put("status", "ok"));
                execution.interrupt();
            }
            case "shutdown_request" -> kernel.shutdown(message, Channel.CONTROL);
            case "kernel_info_request" -> reply(message, "kernel_info_reply", KernelInfo.content(kernel.messages().json()));
            case "comm_info_request" -> reply(message, "comm_info_reply", ShellHandler.commInfo(kernel.messages().json()));
            default -> LOG.info("Unknown message type on control: " + message.msgType());
        }
    }

    private void reply(Message request, String type, ObjectNode content) {
        kernel.outbox().send(Channel.CONTROL, kernel.messages().reply(request, type, content));
    }
}
