package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The prepared spec accepts the official examples and rejects what it must, so the server's checks mean something. */
class AmlRestSpecTest {

    private static final String WS = "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/test-rg"
            + "/providers/Microsoft.MachineLearningServices/workspaces/my-aml-workspace";
    private static final Map<String, List<String>> API = Map.of("api-version", List.of(AmlRestSpec.API_VERSION));
    private static final Map<String, List<String>> JSON_TYPE = Map.of("Content-Type", List.of("application/json"));

    @Test
    void theApiVersionTheClientSendsIsTheStableFolderOfTheSpec() {
        assertTrue(Files.isDirectory(AmlRestSpec.azuremlSpecs().resolve(AmlRestSpec.STABLE).resolve(AmlRestClient.API_VERSION)));
        assertEquals(AmlRestSpec.API_VERSION, AmlRestClient.API_VERSION);
    }

    @Test
    void acceptsTheOfficialCommandJobExampleBothWays() {
        AmlRestSpec spec = AmlRestSpec.get();
        JsonNode example = spec.example("Job/CommandJob/createOrUpdate.json");
        String body = example.at("/parameters/body").toString();
        assertEquals(List.of(), spec.validateRequest("PUT", WS + "/jobs/job1", API, JSON_TYPE, body));
        assertEquals(List.of(), spec.validateResponse("PUT", WS + "/jobs/job1", 200,
                example.at("/responses/200/body").toString()));
    }

    @Test
    void rejectsAMisspeltPropertyAMissingRequiredOneAWrongEnumAndAMissingApiVersion() {
        AmlRestSpec spec = AmlRestSpec.get();
        ObjectNode body = (ObjectNode) spec.example("Job/CommandJob/createOrUpdate.json").at("/parameters/body").deepCopy();
        ObjectNode properties = (ObjectNode) body.get("properties");
        properties.set("commnd", properties.remove("command"));
        List<String> misspelt = spec.validateRequest("PUT", WS + "/jobs/job1", API, JSON_TYPE, body.toString());
        assertTrue(misspelt.stream().anyMatch(m -> m.contains("commnd")), misspelt::toString);
        assertTrue(misspelt.stream().anyMatch(m -> m.contains("command")), misspelt::toString);

        ObjectNode wrongInput = (ObjectNode) spec.example("Job/CommandJob/createOrUpdate.json").at("/parameters/body").deepCopy();
        ((ObjectNode) wrongInput.at("/properties/inputs/string")).put("jobInputType", "literally");
        assertTrue(!spec.validateRequest("PUT", WS + "/jobs/job1", API, JSON_TYPE, wrongInput.toString()).isEmpty());

        ObjectNode extraInput = (ObjectNode) spec.example("Job/CommandJob/createOrUpdate.json").at("/parameters/body").deepCopy();
        ((ObjectNode) extraInput.at("/properties/inputs/string")).put("uri", "https://x");
        List<String> extra = spec.validateRequest("PUT", WS + "/jobs/job1", API, JSON_TYPE, extraInput.toString());
        assertTrue(extra.stream().anyMatch(m -> m.contains("uri")), extra::toString);

        String good = spec.example("Job/CommandJob/createOrUpdate.json").at("/parameters/body").toString();
        List<String> noVersion = spec.validateRequest("PUT", WS + "/jobs/job1", Map.of(), JSON_TYPE, good);
        assertTrue(noVersion.stream().anyMatch(m -> m.contains("api-version")), noVersion::toString);
    }
}
