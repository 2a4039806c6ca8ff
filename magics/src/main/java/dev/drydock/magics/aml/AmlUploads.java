package dev.drydock.magics.aml;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.firstLine;
import static dev.drydock.magics.aml.AmlHttp.trimSlash;
import static dev.drydock.magics.aml.AmlHttp.encodePath;
import static dev.drydock.magics.aml.AmlHttp.folderName;

/**
 * Files to the workspace's storage: a folder (or some of its files) as a content-addressed code asset whose
 * files go to the blob container {@code startPendingUpload} hands out (Blob REST {@code Put Blob} with its SAS).
 */
final class AmlUploads {

    private final AmlHttp http;

    AmlUploads(AmlHttp http) {
        this.http = http;
    }


    record Uploaded(String id, String uri) {}

    /**
     * Registers a folder as a code asset named after its content: an existing version with the same name
     * is reused, else the files go to the blob container {@code startPendingUpload} hands out and the
     * version is created pointing at them.
     */
    Uploaded uploadFolder(Workspace workspace, Path folder, String kind) throws MagicException {
        return upload(workspace, folder, files(folder), kind);
    }

    /** {@link #uploadFolder} for some of a folder's files, which keep their paths below it. */
    Uploaded upload(Workspace workspace, Path folder, List<Path> files, String kind) throws MagicException {
        String hash = contentHash(folder, files);
        String name = "drydock-" + kind + "-" + hash.substring(0, 32);
        String version = "1";
        String path = workspace.armId() + "/codes/" + name + "/versions/" + version;
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(path, Map.of()));
        if (existing.isPresent() && existing.get().body().path("properties").hasNonNull("codeUri")) {
            return new Uploaded(path, existing.get().body().path("properties").path("codeUri").asText());
        }
        ObjectNode pending = JSON.createObjectNode().put("pendingUploadType", "TemporaryBlobReference");
        JsonNode reference = http.call(HttpMethod.POST, http.armUrl(path + "/startPendingUpload", Map.of()), pending).body()
                .path("blobReferenceForConsumption");
        String blobUri = reference.path("blobUri").asText("");
        String sasUri = reference.path("credential").path("sasUri").asText("");
        if (blobUri.isEmpty() || sasUri.isEmpty()) {
            throw MagicException.failed("Azure ML answered startPendingUpload for " + name
                    + " without a blob URI and SAS; cannot upload the " + kind + " folder.");
        }
        String query = URI.create(sasUri).getRawQuery();
        String folderUri = trimSlash(blobUri) + "/" + encodePath(folderName(folder));
        for (Path file : files) {
            putBlob(folderUri + "/" + encodePath(folder.relativize(file).toString().replace('\\', '/'))
                    + (query == null ? "" : "?" + query), file);
        }
        ObjectNode properties = JSON.createObjectNode();
        properties.put("codeUri", folderUri);
        properties.put("isAnonymous", true);
        properties.put("description", "Drydock " + kind + " snapshot of " + folderName(folder));
        ObjectNode body = JSON.createObjectNode();
        body.set("properties", properties);
        http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        return new Uploaded(path, folderUri);
    }

    private void putBlob(String url, Path file) throws MagicException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + file + ": " + e.getMessage());
        }
        HttpRequest request = new HttpRequest(HttpMethod.PUT, url);
        request.setHeader(HttpHeaderName.fromString("x-ms-blob-type"), "BlockBlob");
        request.setHeader(HttpHeaderName.fromString("x-ms-version"), "2021-08-06");
        request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/octet-stream");
        request.setBody(bytes);
        try (HttpResponse response = http.plain().sendSync(request, Context.NONE)) {
            if (response.getStatusCode() >= 300) {
                throw MagicException.failed("Uploading " + file.getFileName() + " to the workspace's storage failed: HTTP "
                        + response.getStatusCode() + " " + firstLine(response.getBodyAsBinaryData().toString()));
            }
        } catch (RuntimeException e) {
            throw http.unreachable(url, e);
        }
    }

    static List<Path> files(Path folder) throws MagicException {
        if (!Files.isDirectory(folder)) {
            throw MagicException.usage(folder + " is not a folder.");
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> folder.relativize(p).toString()))
                    .toList();
        } catch (IOException e) {
            throw MagicException.failed("Could not list " + folder + ": " + e.getMessage());
        }
    }

    private static String contentHash(Path folder, List<Path> files) throws MagicException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path file : files) {
                digest.update(folder.relativize(file).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Files.readAllBytes(file));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + folder + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

}
