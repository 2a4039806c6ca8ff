package dev.drydock.magics.aml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.drydock.magics.MagicException;
import dev.drydock.magics.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceResolverTest {

    @TempDir
    Path root;

    private AmlRestClient client(Path folder, Map<String, String> environment) {
        Session session = new Session(folder, environment);
        return new AmlRestClient(session, Optional.of("https://127.0.0.1:1"), () -> {
            throw new AssertionError("resolving a workspace must not need a credential");
        }, () -> {
            throw new AssertionError("resolving a workspace must not call Azure");
        }, Duration.ZERO);
    }

    private static String config(String subscription, String group, String name) {
        return "{\"subscription_id\": \"" + subscription + "\", \"resource_group\": \"" + group
                + "\", \"workspace_name\": \"" + name + "\"}";
    }

    @Test
    void nothingConfiguredSaysExactlyHowToConfigure() throws Exception {
        AmlRestClient client = client(Files.createDirectories(root.resolve("nb")), Map.of());
        assertEquals(Optional.empty(), client.workspace());
        assertFalse(client.connected());
        MagicException e = assertThrows(MagicException.class, client::requireWorkspace);
        assertEquals(MagicException.Kind.UsageError, e.kind());
        for (String part : new String[] {"%aml workspace --subscription", "--resource-group", "--name", "config.json",
                "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME", "%dotenv"}) {
            assertTrue(e.getMessage().contains(part), part + " in " + e.getMessage());
        }
    }

    @Test
    void configJsonIsFoundUpwardFromTheNotebookFolder() throws Exception {
        Files.writeString(root.resolve("config.json"), config("sub-1", "rg-1", "ws-1"));
        Path deep = Files.createDirectories(root.resolve("project/notebooks/week1"));
        Workspace workspace = client(deep, Map.of()).requireWorkspace();
        assertEquals(new Workspace("sub-1", "rg-1", "ws-1", Optional.empty(), root.resolve("config.json").toString()),
                workspace);
        assertEquals("/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1",
                workspace.armId());
    }

    @Test
    void theNearestConfigWinsAndAzuremlFoldersCountAndOtherToolsConfigsDoNot() throws Exception {
        Files.writeString(root.resolve("config.json"), config("far", "rg", "ws"));
        Path project = Files.createDirectories(root.resolve("project"));
        Files.createDirectories(project.resolve(".azureml"));
        Files.writeString(project.resolve(".azureml/config.json"), config("near", "rg", "ws"));
        Path notebooks = Files.createDirectories(project.resolve("notebooks"));
        Files.writeString(notebooks.resolve("config.json"), "{\"editor\": \"vim\"}");
        assertEquals("near", client(notebooks, Map.of()).requireWorkspace().subscription());
    }

    @Test
    void anIncompleteConfigJsonNamesWhatIsMissing() throws Exception {
        Files.writeString(root.resolve("config.json"), "{\"subscription_id\": \"s\", \"workspace_name\": \"w\"}");
        MagicException e = assertThrows(MagicException.class, () -> client(root, Map.of()).workspace());
        assertTrue(e.getMessage().contains("resource_group"), e.getMessage());
    }

    @Test
    void sessionVariablesFromDotenvAreUsedWhenThereIsNoConfig() throws Exception {
        Session session = new Session(root, Map.of("AZURE_SUBSCRIPTION_ID", "from-process"));
        session.setSecret("AZURE_SUBSCRIPTION_ID", "sub-env");
        session.setSecret("AZURE_RESOURCE_GROUP", "rg-env");
        session.setSecret("AZUREML_WORKSPACE_NAME", "ws-env");
        Workspace workspace = WorkspaceResolver.resolve(session).orElseThrow();
        assertEquals("sub-env", workspace.subscription());
        assertEquals("rg-env", workspace.resourceGroup());
        assertEquals("ws-env", workspace.name());
    }

    @Test
    void incompleteVariablesNameTheMissingOne() {
        MagicException e = assertThrows(MagicException.class, () -> client(root,
                Map.of("AZURE_SUBSCRIPTION_ID", "s", "AZUREML_WORKSPACE_NAME", "w")).workspace());
        assertTrue(e.getMessage().contains("AZURE_RESOURCE_GROUP is not set"), e.getMessage());
    }

    @Test
    void anExplicitWorkspaceComesBeforeConfigAndVariables() throws Exception {
        Files.writeString(root.resolve("config.json"), config("cfg", "rg", "ws"));
        AmlRestClient client = client(root, Map.of("AZURE_SUBSCRIPTION_ID", "v", "AZURE_RESOURCE_GROUP", "v",
                "AZUREML_WORKSPACE_NAME", "v"));
        assertEquals("cfg", client.requireWorkspace().subscription());
        client.use("explicit", "rg-x", "ws-x");
        assertEquals(new Workspace("explicit", "rg-x", "ws-x", Optional.empty(), "%aml workspace"), client.requireWorkspace());
        assertTrue(client.connected());
    }
}
