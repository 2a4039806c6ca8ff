package dev.drydock.magics.env;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Minimal pure-Python wheels that pip installs offline: a module with its version, METADATA, WHEEL and the RECORD pip checks. */
final class TestWheels {

    private TestWheels() {}

    /** The wheel's file name, as pip expects it for a pure-Python {@code py3-none-any} wheel. */
    static String fileName(String name, String version) {
        return name.replace('-', '_') + "-" + version + "-py3-none-any.whl";
    }

    /** The wheel's bytes; {@code requires} become its {@code Requires-Dist} lines. */
    static byte[] wheel(String name, String version, List<String> requires) throws IOException {
        String module = name.replace('-', '_');
        String info = module + "-" + version + ".dist-info/";
        Map<String, String> files = new LinkedHashMap<>();
        files.put(module + "/__init__.py", "VERSION = \"" + version + "\"\n");
        StringBuilder metadata = new StringBuilder("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
        requires.forEach(r -> metadata.append("Requires-Dist: ").append(r).append('\n'));
        files.put(info + "METADATA", metadata.toString());
        files.put(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: drydock-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
        StringBuilder record = new StringBuilder();
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            for (var file : files.entrySet()) {
                byte[] bytes = file.getValue().getBytes(StandardCharsets.UTF_8);
                String hash = Base64.getUrlEncoder().withoutPadding().encodeToString(sha256(bytes));
                record.append(file.getKey()).append(",sha256=").append(hash).append(',').append(bytes.length).append('\n');
                out.putNextEntry(new ZipEntry(file.getKey()));
                out.write(bytes);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry(info + "RECORD"));
            out.write(record.append(info).append("RECORD,,\n").toString().getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return zip.toByteArray();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("Every JDK has SHA-256", ex);
        }
    }
}
