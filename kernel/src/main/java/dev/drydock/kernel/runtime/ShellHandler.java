package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.cells.CellPart;
import dev.drydock.kernel.cells.CellSplitter;
import dev.drydock.kernel.java.JavaEngine;
import dev.drydock.kernel.protocol.Channel;
import dev.drydock.kernel.protocol.Message;
import dev.drydock.magics.Completion;
import dev.drydock.magics.api.Magics;
import dev.drydock.magics.SecretMasker;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Requests on the shell socket, one at a time on the execution thread, in the order they came (as
 * ipykernel handles them): execute, complete, inspect, is_complete, history, kernel_info, comms,
 * and shutdown for clients older than protocol 5.4.
 */
final class ShellHandler {

    private static final Logger LOG = Logger.getLogger(ShellHandler.class.getName());
    private static final Pattern HELP = Pattern.compile("\\s*\\?{0,2}[A-Za-z_$][\\w$.]*\\?{0,2}\\s*");
    /** A cell magic whose body ends in a blank line. */
    private static final Pattern BODY_ENDED = Pattern.compile("(?s).*\\n[ \\t]*\\n\\s*");

    private final Kernel kernel;
    private final JavaEngine engine;
    private final Magics magics;
    private final History history;
    private final Execution execution;

    ShellHandler(Kernel kernel, JavaEngine engine, Magics magics, History history, Execution execution) {
        this.kernel = kernel;
        this.engine = engine;
        this.magics = magics;
        this.history = history;
        this.execution = execution;
    }

    void handle(Request request) {
        Message message = request.message();
        String type = message.msgType();
        try {
            switch (type) {
                case "execute_request" -> execution.execute(request);
                case "complete_request" -> reply(message, "complete_reply", complete(message.content()));
                case "inspect_request" -> reply(message, "inspect_reply", inspect(message.content()));
                case "is_complete_request" -> reply(message, "is_complete_reply", isComplete(message.content()));
                case "history_request" -> reply(message, "history_reply", history(message.content()));
                case "kernel_info_request" -> reply(message, "kernel_info_reply", KernelInfo.content(json()));
                case "comm_info_request" -> reply(message, "comm_info_reply", commInfo(json()));
                case "comm_open" -> refuseComm(message);
                case "comm_msg", "comm_close" -> LOG.fine(() -> "Ignored " + type + " for a comm this kernel never opened");
                case "shutdown_request" -> kernel.shutdown(message, Channel.SHELL);
                default -> LOG.info("Unknown message type on shell: " + type);
            }
        } catch (RuntimeException ex) {
            LOG.log(Level.WARNING, "Failed to handle " + type, ex);
            if (type.endsWith("_request")) {
                ObjectNode error = json().createObjectNode();
                error.put("status", "error");
                new CellNotebook.ErrorInfo(ex.getClass().getSimpleName(), String.valueOf(ex.getMessage()), List.of())
                        .masked(kernel.masker()).toJson(error);
                reply(message, type.substring(0, type.length() - "_request".length()) + "_reply", error);
            }
        }
    }

    static ObjectNode commInfo(ObjectMapper json) {
        ObjectNode content = json.createObjectNode();
        content.put("status", "ok");
        content.putObject("comms");
        return content;
    }

    private ObjectNode complete(JsonNode request) {
        String code = request.path("code").asText("");
        int cursor = Cursor.toJava(code, request.path("cursor_pos").asInt(Cursor.length(code)));
        Completion completion = magics.complete(code, cursor);
        if (completion == null) {
            completion = engine.complete(code, cursor);
        }
        ObjectNode content = json().createObjectNode();
        content.put("status", "ok");
        ArrayNode matches = content.putArray("matches");
        completion.matches().forEach(matches::add);
        content.put("cursor_start", Cursor.toJupyter(code, completion.start()));
        content.put("cursor_end", Cursor.toJupyter(code, completion.end()));
        content.putObject("metadata");
        return content;
    }

    private ObjectNode inspect(JsonNode request) {
        String code = request.path("code").asText("");
        int cursor = Cursor.toJava(code, request.path("cursor_pos").asInt(Cursor.length(code)));
        Map<String, Object> doc = engine.inspect(code, cursor, request.path("detail_level").asInt(0));
        ObjectNode content = json().createObjectNode();
        content.put("status", "ok");
        content.put("found", doc != null && !doc.isEmpty());
        content.set("data", json().valueToTree(doc == null ? Map.of() : Masks.bundle(kernel.masker(), doc)));
        content.putObject("metadata");
        return content;
    }

    private ObjectNode isComplete(JsonNode request) {
        String code = request.path("code").asText("");
        JavaEngine.IsComplete answer = answerIsComplete(code);
        ObjectNode content = json().createObjectNode();
        content.put("status", answer.status());
        if ("incomplete".equals(answer.status())) {
            content.put("indent", answer.indent() == null ? "" : answer.indent());
        }
        return content;
    }

    private JavaEngine.IsComplete answerIsComplete(String code) {
        if (HELP.matcher(code).matches() && code.contains("?")) {
            return new JavaEngine.IsComplete("complete", null);
        }
        List<CellPart> parts = CellSplitter.split(code);
        // A cell magic owns its whole body, whatever language that is; as in IPython, a blank line ends
        // it, so a console keeps reading lines until then.
        if (parts.size() == 1 && parts.get(0) instanceof CellPart.Magic magic && magic.call().isCellMagic()) {
            return BODY_ENDED.matcher(code).matches()
                    ? new JavaEngine.IsComplete("complete", null)
                    : new JavaEngine.IsComplete("incomplete", "");
        }
        // A line continued with a backslash (a long `!` or `%` line), as IPython reads it.
        if (code.endsWith("\\")) {
            return new JavaEngine.IsComplete("incomplete", "");
        }
        for (int i = parts.size() - 1; i >= 0; i--) {
            if (parts.get(i) instanceof CellPart.Java java && !java.source().isBlank()) {
                return engine.isComplete(java.source());
            }
        }
        return new JavaEngine.IsComplete("complete", null);
    }

    private ObjectNode history(JsonNode request) {
        boolean output = request.path("output").asBoolean(false);
        String access = request.path("hist_access_type").asText("tail");
        List<History.Entry> entries = switch (access) {
            case "range" -> history.range(request.path("session").asInt(0), request.path("start").asInt(0),
                    request.path("stop").asInt(0));
            case "search" -> history.search(request.path("pattern").asText("*"), request.path("n").asInt(0),
                    request.path("unique").asBoolean(false));
            default -> history.tail(request.path("n").asInt(10));
        };
        SecretMasker masker = kernel.masker();
        ObjectNode content = json().createObjectNode();
        content.put("status", "ok");
        ArrayNode list = content.putArray("history");
        for (History.Entry entry : entries) {
            ArrayNode row = list.addArray().add(entry.session()).add(entry.line());
            if (output) {
                row.addArray().add(masker.mask(entry.input())).add(entry.output() == null ? null : masker.mask(entry.output()));
            } else {
                row.add(masker.mask(entry.input()));
            }
        }
        return content;
    }

    /** No comm targets are registered: say so by closing the comm, as ipykernel does for unknown targets. */
    private void refuseComm(Message message) {
        String target = message.content().path("target_name").asText("");
        LOG.info("No comm target named '" + target + "'; closing the comm");
        ObjectNode close = json().createObjectNode();
        close.put("comm_id", message.content().path("comm_id").asText(""));
        close.putObject("data");
        kernel.outbox().send(Channel.IOPUB, kernel.messages().publish(message.header(), "comm_close", close));
    }

    private void reply(Message request, String type, ObjectNode content) {
        kernel.outbox().send(Channel.SHELL, kernel.messages().reply(request, type, content));
    }

    private ObjectMapper json() {
        return kernel.messages().json();
    }
}
