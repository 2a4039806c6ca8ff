package dev.drydock.magics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SecretNamesTest {

    @ParameterizedTest(name = "{0} secret: {1}")
    @CsvSource({
        "DOCKER_PASSWORD, true", "DB_PASSWD, true", "DB_PWD, true", "CLIENT_SECRET, true", "GITHUB_TOKEN, true",
        "API_KEY, true", "ACCOUNT_KEY, true", "apiKey, true", "SSH_KEYS, true", "AZURE_CREDENTIALS, true",
        "BASIC_AUTH, true", "STORAGE_SAS, true", "AZURE_STORAGE_CONNECTION_STRING, true", "PRIVATE_KEY_PATH, true",
        "TLS_CERT, true", "accessToken, true", "dbPassword, true",
        "KEYBOARD_LAYOUT, false", "MONKEY_COUNT, false", "AUTHOR, false", "KANSAS_REGION, false",
        "CONCERT_HALL, false", "DOCKER_USERNAME, false", "REGISTRY, false", "AZURE_SUBSCRIPTION_ID, false",
        "AZUREML_WORKSPACE_NAME, false", "DEBUG, false", "PORT, false"
    })
    void tellsSecretsFromSettingsByName(String name, boolean secret) {
        assertEquals(secret, SecretNames.isSecret(name));
    }
}
