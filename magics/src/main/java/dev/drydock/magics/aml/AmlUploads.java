package dev.drydock.magics.aml;

import dev.drydock.magics.render.Progress;
import com.azure.core.credential.AzureSasCredential;
import com.azure.core.http.HttpMethod;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ParallelTransferOptions;
import com.azure.storage.blob.options.BlobUploadFromFileOptions;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.drydock.magics.MagicException;
import dev.drydock.magics.render.Table;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import static dev.drydock.magics.aml.AmlHttp.JSON;
import static dev.drydock.magics.aml.AmlHttp.segment;

/**
 * Local files to the workspace's default datastore, where and as {@code az ml} puts them: a file or folder
 * goes to {@code LocalUpload/<content hash>/<its name>} in the datastore's blob container, so the same
 * content is uploaded once and changed content gets a new place (and, as an asset, a new version). The
 * first file carries the metadata {@code az ml} writes ({@code upload_status: completed}, the asset's
 * {@code name} and {@code version}); an upload whose indicator says completed is not repeated.
 *
 * <p>Files go up with azure-storage-blob: one {@code Put Blob} up to {@value #BLOCK_SIZE} bytes, else
 * {@code Put Block}s of that size read from the file and one {@code Put Block List}, {@value #CONCURRENCY} at a
 * time — memory stays at most their product whatever the file's size. The datastore's credential comes from
 * {@code listSecrets} (account key or SAS); a datastore without secrets is reached with the signed-in identity.
 */
final class AmlUploads {

    /** The size of one block, and the largest file sent in one request. */
    static final long BLOCK_SIZE = 8L * 1024 * 1024;
    static final int CONCURRENCY = 2;
    static final String ANONYMOUS_VERSION = "1";

    private final AmlHttp http;
    private final Map<String, Datastore> datastores = new HashMap<>();

    AmlUploads(AmlHttp http) {
        this.http = http;
    }

    /** The default datastore of a workspace and how to write to it. */
    record Datastore(String name, String account, String container, String endpoint, String protocol,
            JsonNode secrets) {

        String containerUrl() {
            return protocol + "://" + account + ".blob." + endpoint + "/" + container;
        }
    }

    /**
     * Where an upload went.
     *
     * @param datastoreUri {@code azureml://datastores/<name>/paths/LocalUpload/<hash>/<name>}, how jobs and models
     *     refer to it
     * @param httpsUri the same place as a blob URL, how code assets and build contexts refer to it
     * @param name the anonymous asset's name recorded with the upload (derived from the content)
     * @param version its version
     * @param uploaded whether files went up (false: the same content was there already)
     */
    record Uploaded(String datastoreUri, String httpsUri, String name, String version, boolean uploaded) {}

    /** A code asset's id: an anonymous code version named after the content, its files on the datastore. */
    String code(Workspace workspace, Path folder, Progress progress) throws MagicException {
        String hash = contentHash(folder);
        String name = anonymousName(hash);
        String path = workspace.armId() + "/codes/" + name + "/versions/" + ANONYMOUS_VERSION;
        Optional<AmlHttp.Reply> existing = http.find(http.armUrl(path, Map.of()));
        if (existing.isPresent() && existing.get().body().path("properties").hasNonNull("codeUri")) {
            return path;
        }
        Uploaded uploaded = upload(workspace, folder, hash, progress);
        ObjectNode properties = JSON.createObjectNode();
        properties.put("codeUri", uploaded.httpsUri());
        properties.put("isAnonymous", true);
        ObjectNode body = JSON.createObjectNode();
        body.set("properties", properties);
        http.call(HttpMethod.PUT, http.armUrl(path, Map.of()), body);
        return path;
    }

    /** Uploads a file or folder (unless its content is there) under {@code LocalUpload/<content hash>/}. */
    Uploaded upload(Workspace workspace, Path source, Progress progress) throws MagicException {
        return upload(workspace, source, contentHash(source), progress);
    }

    private Uploaded upload(Workspace workspace, Path source, String hash, Progress progress) throws MagicException {
        Datastore datastore = datastore(workspace);
        String sourceName = name(source);
        String prefix = "LocalUpload/" + hash + "/" + sourceName;
        List<Path> files = Files.isDirectory(source) ? files(source) : List.of(source);
        if (files.isEmpty()) {
            throw MagicException.usage(source + " is an empty folder; there is nothing to upload.");
        }
        String datastoreUri = "azureml://datastores/" + datastore.name() + "/paths/" + prefix;
        String httpsUri = datastore.containerUrl() + "/" + AmlHttp.encodePath(prefix);
        BlobContainerClient container = container(datastore);
        BlobClient indicator = container.getBlobClient(blobName(prefix, source, files.get(0)));
        try {
            Map<String, String> metadata = indicator.getProperties().getMetadata();
            if ("completed".equals(metadata.get("upload_status"))) {
                return new Uploaded(datastoreUri, httpsUri, metadata.getOrDefault("name", anonymousName(hash)),
                        metadata.getOrDefault("version", ANONYMOUS_VERSION), false);
            }
        } catch (BlobStorageException e) {
            if (e.getStatusCode() != 404) {
                throw storage(datastore, e);
            }
        } catch (RuntimeException e) {
            throw http.unreachable(datastore.containerUrl(), e);
        }
        long total = 0;
        for (Path file : files) {
            total += size(file);
        }
        long sent = 0;
        String name = anonymousName(hash);
        // The indicator goes last, so a cut-short upload never reads as completed.
        for (int i = files.size() - 1; i >= 0; i--) {
            Path file = files.get(i);
            progress.show("Uploading " + sourceName + " to datastore " + datastore.name() + ": " + Table.size(sent)
                    + " of " + Table.size(total) + "…");
            Map<String, String> meta = i == 0 ? Map.of("upload_status", "completed", "upload_version", "2",
                    "name", name, "version", ANONYMOUS_VERSION) : null;
            BlobUploadFromFileOptions options = new BlobUploadFromFileOptions(file.toString())
                    .setParallelTransferOptions(new ParallelTransferOptions().setBlockSizeLong(BLOCK_SIZE)
                            .setMaxSingleUploadSizeLong(BLOCK_SIZE).setMaxConcurrency(CONCURRENCY))
                    .setMetadata(meta);
            try {
                container.getBlobClient(blobName(prefix, source, file)).uploadFromFileWithResponse(options, null,
                        Context.NONE);
            } catch (BlobStorageException e) {
                throw storage(datastore, e);
            } catch (RuntimeException e) {
                throw http.unreachable(datastore.containerUrl(), e);
            }
            sent += size(file);
        }
        progress.show("Uploaded " + sourceName + " to datastore " + datastore.name() + " (" + Table.size(total) + ").");
        return new Uploaded(datastoreUri, httpsUri, name, ANONYMOUS_VERSION, true);
    }

    private static String blobName(String prefix, Path source, Path file) {
        return Files.isDirectory(source) ? prefix + "/" + source.relativize(file).toString().replace('\\', '/') : prefix;
    }

    /** The workspace's default datastore, as {@code az ml} finds it: {@code datastores?isDefault=true}. */
    synchronized Datastore datastore(Workspace workspace) throws MagicException {
        Datastore cached = datastores.get(workspace.armId());
        if (cached != null) {
            return cached;
        }
        JsonNode list = http.call(HttpMethod.GET, http.armUrl(workspace.armId() + "/datastores",
                Map.of("isDefault", "true")), null).body();
        JsonNode found = null;
        for (JsonNode item : list.path("value")) {
            if (item.path("properties").path("datastoreType").asText().equals("AzureBlob")) {
                found = item;
                break;
            }
        }
        if (found == null) {
            throw MagicException.failed("Workspace " + workspace.name() + " has no default blob datastore to upload"
                    + " local files to; az ml datastore list shows its datastores.");
        }
        String name = found.path("name").asText();
        JsonNode properties = found.path("properties");
        JsonNode secrets = JSON.createObjectNode();
        if (!properties.path("credentials").path("credentialsType").asText("None").equals("None")) {
            secrets = http.call(HttpMethod.POST, http.armUrl(workspace.armId() + "/datastores/" + segment(name)
                    + "/listSecrets", Map.of()), null).body();
            // A storage key or SAS is a secret: masked before any message could carry it.
            secrets.path("key").asText("").lines().filter(s -> !s.isBlank()).forEach(http.session().masker()::add);
            http.maskSas(secrets.path("sasToken").asText(""));
        }
        Datastore datastore = new Datastore(name, properties.path("accountName").asText(),
                properties.path("containerName").asText(), properties.path("endpoint").asText("core.windows.net"),
                properties.path("protocol").asText("https"), secrets);
        datastores.put(workspace.armId(), datastore);
        return datastore;
    }

    private BlobContainerClient container(Datastore datastore) throws MagicException {
        BlobContainerClientBuilder builder = new BlobContainerClientBuilder().endpoint(datastore.containerUrl())
                .httpClient(http.transport());
        String type = datastore.secrets().path("secretsType").asText("");
        switch (type) {
            case "AccountKey" -> builder.credential(new StorageSharedKeyCredential(datastore.account(),
                    datastore.secrets().path("key").asText()));
            case "Sas" -> builder.credential(new AzureSasCredential(datastore.secrets().path("sasToken").asText()));
            case "" -> builder.credential(http.credential());
            default -> throw MagicException.failed("Datastore " + datastore.name() + " gives " + type + " secrets;"
                    + " Drydock uploads with an account key, a SAS or the signed-in identity.");
        }
        return builder.buildClient();
    }

    private static MagicException storage(Datastore datastore, BlobStorageException e) {
        String hint = e.getStatusCode() == 403 ? " The datastore's credential may lack write access, or the storage"
                + " account's firewall keeps this machine out." : "";
        return new MagicException(MagicException.Kind.MagicError, "The storage account " + datastore.account()
                + " of datastore " + datastore.name() + " refused the upload (HTTP " + e.getStatusCode() + " "
                + e.getErrorCode() + "): " + e.getServiceMessage() + hint, e);
    }

    /** The asset name {@code az ml} gives anonymous assets: a UUID, here derived from the content hash. */
    static String anonymousName(String hash) {
        return UUID.nameUUIDFromBytes(hash.getBytes(StandardCharsets.UTF_8)).toString();
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

    /** The SHA-256 of a file's or a folder's content (paths and bytes, streamed), as 32 hex digits. */
    static String contentHash(Path source) throws MagicException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            List<Path> files = Files.isDirectory(source) ? files(source) : List.of(source);
            byte[] buffer = new byte[64 * 1024];
            for (Path file : files) {
                String relative = Files.isDirectory(source) ? source.relativize(file).toString().replace('\\', '/')
                        : file.getFileName().toString();
                digest.update(relative.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                try (InputStream in = Files.newInputStream(file)) {
                    for (int n; (n = in.read(buffer)) > 0; ) {
                        digest.update(buffer, 0, n);
                    }
                }
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 32);
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + source + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String name(Path source) {
        Path name = source.toAbsolutePath().normalize().getFileName();
        return name == null ? "root" : name.toString();
    }

    private static long size(Path file) throws MagicException {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw MagicException.failed("Could not read " + file + ": " + e.getMessage());
        }
    }
}
