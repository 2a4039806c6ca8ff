package dev.drydock.magics.aml;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.swagger.parser.OpenAPIParser;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.core.models.ParseOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The official Azure ML REST specification (Swagger 2.0, api-version 2024-04-01), read from where it lies
 * ({@code shared/specs/azureml} beside the repository, or the {@code drydock.specs} system property), as a
 * request and response validator: Atlassian's swagger-request-validator over swagger-parser.
 *
 * <p>The Azure specs use AutoRest's reading of Swagger 2.0, which plain JSON Schema does not share, so the
 * document is prepared before the validator sees it; the validation itself stays the library's:
 * <ul>
 *   <li>{@code $ref}s into the common-types files are copied in, so the document stands alone;</li>
 *   <li>{@code allOf} is flattened into one object per definition (AutoRest inherits properties; JSON Schema
 *       would make every {@code additionalProperties: false} of a parent reject the child's properties);</li>
 *   <li>string enums lose the {@code additionalProperties: false} they carry (swagger-parser's Swagger-2
 *       converter otherwise turns them into objects);</li>
 *   <li>{@code discriminator}s get a mapping from each subtype's {@code x-ms-discriminator-value} to its
 *       definition, which the converter drops, so a {@code jobType: Command} body is checked as a
 *       {@code CommandJob}.</li>
 *   <li>a bare {@code {"type": "object"}} means any value, as AutoRest reads it (the run history's metric
 *       cells hold numbers there).</li>
 * </ul>
 */
final class AmlRestSpec {

    static final String API_VERSION = "2024-04-01";
    static final String STABLE = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/";
    /** The run history data plane, where job details and log lists come from. */
    static final String RUN_HISTORY = "machinelearningservices/data-plane/Microsoft.MachineLearningServices/preview/"
            + "2019-09-30/runHistory.json";
    /** Azure Container Registry's data plane, where an Azure AD token is exchanged for a registry token. */
    static final String CONTAINER_REGISTRY = "containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01/"
            + "containerregistry.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile AmlRestSpec instance;

    private final List<OpenApiInteractionValidator> validators;
    private final Path folder;

    private AmlRestSpec(Path folder, List<OpenApiInteractionValidator> validators) {
        this.folder = folder;
        this.validators = validators;
    }

    /** The spec, prepared once per test run (parsing mfe.json takes a few seconds). */
    static AmlRestSpec get() {
        AmlRestSpec current = instance;
        if (current == null) {
            synchronized (AmlRestSpec.class) {
                if (instance == null) {
                    Path folder = stableFolder();
                    List<OpenApiInteractionValidator> validators = new ArrayList<>();
                    for (String file : List.of("mfe.json", "machineLearningServices.json")) {
                        validators.add(OpenApiInteractionValidator.createFor(load(folder.resolve(file))).build());
                    }
                    validators.add(OpenApiInteractionValidator.createFor(load(azuremlSpecs().resolve(RUN_HISTORY))).build());
                    validators.add(OpenApiInteractionValidator.createFor(load(azuremlSpecs().resolve(CONTAINER_REGISTRY)))
                            .build());
                    instance = new AmlRestSpec(folder, validators);
                }
                current = instance;
            }
        }
        return current;
    }

    /** The {@code shared/specs/azureml} folder, or an assertion error saying how to get it. */
    static Path azuremlSpecs() {
        String property = System.getProperty("drydock.specs");
        List<Path> tried = new ArrayList<>();
        if (property != null) {
            tried.add(Path.of(property).toAbsolutePath().resolve("azureml"));
        } else {
            for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
                tried.add(dir.resolve("shared/specs/azureml"));
            }
        }
        return tried.stream().filter(p -> Files.isDirectory(p.resolve(STABLE))).findFirst()
                .orElseThrow(() -> new AssertionError("The Azure ML REST specification is not here (looked in "
                        + tried.stream().limit(4).map(Path::toString).collect(Collectors.joining(", "))
                        + "). Put the azure-rest-api-specs files under shared/specs/azureml beside the repository"
                        + " (from github.com/Azure/azure-rest-api-specs: specification/machinelearningservices/"
                        + "resource-manager/Microsoft.MachineLearningServices/stable/" + API_VERSION + " and"
                        + " specification/common-types/resource-management/v3, keeping their relative layout under"
                        + " machinelearningservices/ and common-types/), or point -Ddrydock.specs at the specs folder."));
    }

    static Path stableFolder() {
        Path folder = azuremlSpecs().resolve(STABLE).resolve(API_VERSION);
        if (!Files.isRegularFile(folder.resolve("mfe.json"))) {
            throw new AssertionError("No mfe.json in " + folder + ": the Azure ML spec folder lacks api-version "
                    + API_VERSION + ".");
        }
        return folder;
    }

    /** An official example's JSON, e.g. {@code Job/CommandJob/get.json}. */
    JsonNode example(String relative) {
        try {
            return JSON.readTree(folder.resolve("examples").resolve(relative).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Validation messages for a request; empty when the spec accepts it. */
    List<String> validateRequest(String method, String path, Map<String, List<String>> query,
            Map<String, List<String>> headers, String body) {
        SimpleRequest.Builder builder = new SimpleRequest.Builder(method, path);
        query.forEach((name, values) -> builder.withQueryParam(name, values));
        headers.forEach((name, values) -> builder.withHeader(name, values));
        if (body != null && !body.isEmpty()) {
            builder.withBody(body);
        }
        SimpleRequest request = builder.build();
        return pick(v -> v.validateRequest(request));
    }

    /** Validation messages for a response to {@code method path}; empty when the spec accepts it. */
    List<String> validateResponse(String method, String path, int status, String body) {
        SimpleResponse.Builder builder = SimpleResponse.Builder.status(status).withContentType("application/json");
        if (body != null && !body.isEmpty()) {
            builder.withBody(body);
        }
        SimpleResponse response = builder.build();
        return pick(v -> v.validateResponse(path, Request.Method.valueOf(method), response));
    }

    /** The report of the document that has the path; the first document's when none has it. */
    private List<String> pick(java.util.function.Function<OpenApiInteractionValidator, ValidationReport> check) {
        List<String> first = null;
        for (OpenApiInteractionValidator validator : validators) {
            ValidationReport report = check.apply(validator);
            boolean unknownPath = report.getMessages().stream()
                    .anyMatch(m -> m.getKey().equals("validation.request.path.missing")
                            || m.getKey().equals("validation.response.path.missing"));
            List<String> messages = report.getMessages().stream()
                    .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                    .map(m -> m.getKey() + ": " + text(m))
                    .toList();
            if (!unknownPath) {
                return messages;
            }
            if (first == null) {
                first = messages;
            }
        }
        return first;
    }

    private static String text(ValidationReport.Message message) {
        return message.getMessage() + (message.getNestedMessages().isEmpty() ? ""
                : message.getNestedMessages().stream().map(AmlRestSpec::text).collect(Collectors.joining("; ", " [", "]")));
    }

    // --- preparing the document -----------------------------------------------------------------------

    static OpenAPI load(Path file) {
        ObjectNode root = (ObjectNode) read(file);
        inlineExternalRefs(root, file, root, file, new HashMap<>());
        ObjectNode definitions = (ObjectNode) root.get("definitions");
        Map<String, String> discriminatorValues = new LinkedHashMap<>();
        Map<String, Set<String>> ancestors = new HashMap<>();
        for (Iterator<String> names = definitions.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            ObjectNode definition = (ObjectNode) definitions.get(name);
            if (definition.has("enum")) {
                definition.remove("additionalProperties");
            }
            if (definition.has("x-ms-discriminator-value")) {
                discriminatorValues.put(name, definition.get("x-ms-discriminator-value").asText());
            }
            ancestors.put(name, ancestors(definitions, name));
        }
        anyForBareObjects(root);
        openObjects(root);
        Map<String, ObjectNode> flat = new LinkedHashMap<>();
        definitions.fieldNames().forEachRemaining(name -> flat.put(name, flatten(definitions, name)));
        flat.forEach(definitions::set);
        // The validator wants a discriminator property to be a string right there, not a $ref to an enum.
        flat.forEach((name, definition) -> {
            if (definition.has("discriminator")) {
                ObjectNode properties = (ObjectNode) definition.get("properties");
                String property = definition.get("discriminator").asText();
                JsonNode ref = properties.path(property).path("$ref");
                if (ref.isTextual()) {
                    properties.set(property, definitions.get(ref.asText().substring("#/definitions/".length())).deepCopy());
                }
            }
        });

        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        var result = new OpenAPIParser().readContents(root.toString(), null, options);
        OpenAPI api = result.getOpenAPI();
        if (api == null) {
            throw new AssertionError("swagger-parser could not read " + file + ": " + result.getMessages());
        }
        // swagger-models gives the schemas as a raw Map<String, Schema>.
        var schemas = api.getComponents().getSchemas();
        java.util.Set<Schema<?>> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        schemas.values().forEach(schema -> anyValues(schema, seen));
        discriminatorValues.forEach((sub, value) -> {
            for (String base : ancestors.get(sub)) {
                Schema<?> schema = schemas.get(base);
                if (schema != null && schema.getDiscriminator() != null) {
                    schema.getDiscriminator().mapping(value, "#/components/schemas/" + sub);
                }
            }
        });
        return api;
    }

    private static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies what {@code "$ref": "other.json#/section/Name"} points at into {@code root}, recursively. */
    private static void inlineExternalRefs(ObjectNode root, Path rootFile, JsonNode node, Path file,
            Map<String, JsonNode> copied) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            object.remove("x-ms-examples");
            JsonNode ref = object.get("$ref");
            boolean inRoot = file.equals(rootFile);
            if (ref != null && ref.isTextual() && (!ref.asText().startsWith("#") || !inRoot)) {
                String[] parts = ref.asText().split("#", 2);
                Path other = parts[0].isEmpty() ? file : file.getParent().resolve(parts[0]).normalize();
                String pointer = parts[1];
                String key = other + "#" + pointer;
                if (!copied.containsKey(key)) {
                    JsonNode target = read(other).at(pointer).deepCopy();
                    copied.put(key, target);
                    String[] segments = pointer.substring(1).split("/");
                    ObjectNode section = root.has(segments[0]) ? (ObjectNode) root.get(segments[0])
                            : root.putObject(segments[0]);
                    JsonNode existing = section.get(segments[1]);
                    if (existing != null && !existing.equals(target)) {
                        throw new AssertionError("Two different " + pointer + " in " + file + " and " + other);
                    }
                    section.set(segments[1], target);
                    inlineExternalRefs(root, rootFile, target, other, copied);
                }
                object.put("$ref", "#" + pointer);
            }
            List<JsonNode> children = new ArrayList<>();
            object.properties().forEach(field -> children.add(field.getValue()));
            children.forEach(child -> inlineExternalRefs(root, rootFile, child, file, copied));
        } else if (node.isArray()) {
            List<JsonNode> children = new ArrayList<>();
            node.forEach(children::add);
            children.forEach(child -> inlineExternalRefs(root, rootFile, child, file, copied));
        }
    }

    /**
     * AutoRest reads a bare {@code {"type": "object"}} (no properties, no additionalProperties) as "any"
     * ({@code Dictionary<string, object>} values in the run history's metric cells hold numbers); JSON Schema
     * would demand an object, so the type goes.
     */
    private static void anyForBareObjects(JsonNode node) {
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            if (object.path("type").isTextual() && object.get("type").asText().equals("object")
                    && Set.of("type", "description").containsAll(toSet(object.fieldNames()))) {
                object.remove("type");
                return;
            }
            object.forEach(AmlRestSpec::anyForBareObjects);
        } else if (node.isArray()) {
            node.forEach(AmlRestSpec::anyForBareObjects);
        }
    }

    /** swagger-parser's converter turns the emptied {@code additionalProperties: {}} back into an object schema. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void anyValues(Schema<?> schema, Set<Schema<?>> seen) {
        if (schema == null || !seen.add(schema)) {
            return;
        }
        if (schema.getAdditionalProperties() instanceof Schema<?> values) {
            if ("object".equals(values.getType()) && values.getProperties() == null
                    && values.getAdditionalProperties() == null && values.get$ref() == null) {
                schema.setAdditionalProperties(Boolean.TRUE);
            } else {
                anyValues(values, seen);
            }
        }
        if (schema.getProperties() != null) {
            ((Map<String, Schema>) (Map) schema.getProperties()).values().forEach(p -> anyValues(p, seen));
        }
        anyValues(schema.getItems(), seen);
    }

    private static Set<String> toSet(Iterator<String> names) {
        Set<String> set = new LinkedHashSet<>();
        names.forEachRemaining(set::add);
        return set;
    }

    /**
     * Swagger 2.0 lets an object without {@code additionalProperties} have any others; the validator
     * otherwise treats it as closed, so that is written out. Closed ones ({@code false}) stay closed.
     */
    private static void openObjects(ObjectNode root) {
        root.path("definitions").forEach(AmlRestSpec::openSchema);
        root.path("paths").forEach(path -> path.forEach(operation -> {
            operation.path("parameters").forEach(parameter -> openSchema(parameter.path("schema")));
            operation.path("responses").forEach(response -> openSchema(response.path("schema")));
        }));
        root.path("parameters").forEach(parameter -> openSchema(parameter.path("schema")));
    }

    private static void openSchema(JsonNode node) {
        if (!node.isObject()) {
            return;
        }
        ObjectNode schema = (ObjectNode) node;
        boolean object = schema.path("type").asText("").equals("object") || schema.has("properties") || schema.has("allOf");
        if (object && !schema.has("additionalProperties") && !schema.has("enum") && !schema.has("$ref")) {
            schema.put("additionalProperties", true);
        }
        schema.path("properties").forEach(AmlRestSpec::openSchema);
        schema.path("allOf").forEach(AmlRestSpec::openSchema);
        openSchema(schema.path("items"));
        openSchema(schema.path("additionalProperties"));
    }

    private static Set<String> ancestors(ObjectNode definitions, String name) {
        Set<String> result = new LinkedHashSet<>();
        JsonNode allOf = definitions.path(name).path("allOf");
        for (JsonNode parent : allOf) {
            String ref = parent.path("$ref").asText("");
            if (ref.startsWith("#/definitions/")) {
                String base = ref.substring("#/definitions/".length());
                result.add(base);
                result.addAll(ancestors(definitions, base));
            }
        }
        return result;
    }

    /** The definition with its {@code allOf} parents' properties and required names merged in, as AutoRest reads it. */
    private static ObjectNode flatten(ObjectNode definitions, String name) {
        ObjectNode definition = ((ObjectNode) definitions.get(name)).deepCopy();
        JsonNode allOf = definition.remove("allOf");
        if (allOf == null) {
            return definition;
        }
        ObjectNode properties = JSON.createObjectNode();
        Set<String> required = new LinkedHashSet<>();
        for (JsonNode parent : allOf) {
            ObjectNode merged = parent.has("$ref")
                    ? flatten(definitions, parent.get("$ref").asText().substring("#/definitions/".length()))
                    : (ObjectNode) parent;
            if (merged.has("properties")) {
                properties.setAll((ObjectNode) merged.get("properties"));
            }
            merged.path("required").forEach(r -> required.add(r.asText()));
            if (!definition.has("type") && merged.has("type")) {
                definition.set("type", merged.get("type"));
            }
        }
        if (definition.has("properties")) {
            properties.setAll((ObjectNode) definition.get("properties"));
        }
        definition.path("required").forEach(r -> required.add(r.asText()));
        definition.set("properties", properties);
        if (!required.isEmpty()) {
            ArrayNode array = definition.putArray("required");
            required.forEach(array::add);
        }
        return definition;
    }

    /** The workspace paths of the spec's operations, for messages. */
    static String describe(List<String> messages) {
        return Stream.of(messages).flatMap(List::stream).collect(Collectors.joining("\n  ", "\n  ", ""));
    }
}
