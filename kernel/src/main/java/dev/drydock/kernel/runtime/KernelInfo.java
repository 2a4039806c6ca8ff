package dev.drydock.kernel.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.kernel.protocol.MessageFactory;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/** The content of {@code kernel_info_reply}: who we are, what language, where help is. */
final class KernelInfo {

    static final String IMPLEMENTATION = "drydock";

    private KernelInfo() {}

    /** The jar manifest's Implementation-Version, or {@code dev} in a build without one (tests, IDE). */
    static String version() {
        String version = KernelInfo.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private static volatile ObjectNode cached;

    /** A fresh copy each time; computed once (reading the manifest walks the classpath). */
    static ObjectNode content(ObjectMapper json) {
        ObjectNode content = cached;
        if (content == null) {
            content = compute(json);
            cached = content;
        }
        return content.deepCopy();
    }

    private static ObjectNode compute(ObjectMapper json) {
        ObjectNode content = json.createObjectNode();
        content.put("status", "ok");
        content.put("protocol_version", MessageFactory.PROTOCOL_VERSION);
        content.put("implementation", IMPLEMENTATION);
        content.put("implementation_version", version());
        ObjectNode language = content.putObject("language_info");
        language.put("name", "java");
        language.put("version", System.getProperty("java.version", Runtime.version().toString()));
        language.put("mimetype", "text/x-java-source");
        language.put("file_extension", ".java");
        // CodeMirror 5 (classic notebook) and 6 (JupyterLab) both resolve Java from this MIME type.
        language.put("codemirror_mode", "text/x-java");
        language.put("pygments_lexer", "java");
        language.put("nbconvert_exporter", "script");
        content.put("banner", "Drydock " + version() + " on Java " + Runtime.version()
                + "\nCells are Java (JShell); %lsmagic lists the magics, `name?` shows documentation.");
        content.put("debugger", false);
        ArrayNode links = content.putArray("help_links");
        String readme = readmeUrl();
        if (readme != null) {
            link(links, "Drydock README", readme);
        }
        int feature = Runtime.version().feature();
        link(links, "Java " + feature + " API", "https://docs.oracle.com/en/java/javase/" + feature + "/docs/api/");
        link(links, "JShell guide", "https://docs.oracle.com/en/java/javase/" + feature + "/jshell/introduction-jshell.html");
        return content;
    }

    private static void link(ArrayNode links, String text, String url) {
        links.addObject().put("text", text).put("url", url);
    }

    /** The project page from the jar manifest's {@code Implementation-URL}, if the build wrote one. */
    private static String readmeUrl() {
        try (var in = KernelInfo.class.getResourceAsStream("/META-INF/MANIFEST.MF")) {
            if (in == null) {
                return null;
            }
            return new Manifest(in).getMainAttributes().getValue(new Attributes.Name("Implementation-URL"));
        } catch (java.io.IOException ex) {
            return null;
        }
    }
}
