"""%maven and %classpath through a real Jupyter client. MavenIT prepares a file:// repository with
com.example:greeter:1.0 (which depends on com.example:words:1.0) and a settings.xml whose mirror sends every
repository there, named by DRYDOCK_MAVEN_SETTINGS in the environment the kernel inherits: no network.
"""
import os
import unittest

import kernel_case

TIMEOUT = 120


class MavenProbe(kernel_case.KernelCase):
    TIMEOUT = TIMEOUT
    PREFIX = "drydock-maven-"

    @staticmethod
    def of_type(outputs, *types):
        return [m["content"] for m in outputs if m["msg_type"] in types]

    def test_1_a_library_and_its_dependency_are_usable_from_the_next_line_of_the_same_cell(self):
        content, outputs = self.run_cell(
            "%maven com.example:greeter:1.0\n"
            "import com.example.greeter.Greeter;\n"
            "Greeter.greet(\"notebook\")")
        self.assertEqual("ok", content["status"], content)
        tables = [d["data"] for d in self.of_type(outputs, "display_data") if "text/html" in d["data"]]
        self.assertEqual(1, len(tables), outputs)
        self.assertRegex(tables[0]["text/plain"], r"com\.example:greeter\s+1\.0\s+greeter-1\.0\.jar\s+[\d.]+(B|kB)\n")
        self.assertRegex(tables[0]["text/plain"], r"com\.example:words\s+1\.0\s+words-1\.0\.jar\s+[\d.]+(B|kB)\n")
        self.assertIn("<td>com.example:words</td>", tables[0]["text/html"])
        results = self.of_type(outputs, "execute_result")
        self.assertEqual("hello from words, notebook", results[0]["data"]["text/plain"].strip('"'), outputs)
        local = os.environ["DRYDOCK_MAVEN_REPO_EXPECTED"]
        self.assertTrue(os.path.isfile(os.path.join(local, "com/example/words/1.0/words-1.0.jar")),
                        "jars are cached in the local repository of settings.xml")

    def test_2_classpath_lists_what_was_added(self):
        content, outputs = self.run_cell("%classpath")
        self.assertEqual("ok", content["status"], content)
        text = "".join(d["data"]["text/plain"] for d in self.of_type(outputs, "display_data"))
        self.assertIn("com.example:greeter", text)
        self.assertIn("words-1.0.jar", text)

    def test_3_a_missing_artifact_is_one_clear_error_and_the_kernel_lives_on(self):
        content, outputs = self.run_cell("%maven com.example:nowhere:1.0\nSystem.out.println(\"not reached\");")
        self.assertEqual("error", content["status"])
        self.assertTrue(content["evalue"].startswith("Cannot find com.example:nowhere:1.0."), content["evalue"])
        self.assertIn("Repositories tried: test-mirror (file:", content["evalue"])
        self.assertNotIn("not reached", "".join(c.get("text", "") for c in self.of_type(outputs, "stream")))
        content, outputs = self.run_cell("com.example.greeter.Greeter.greet(\"again\")")
        self.assertEqual("ok", content["status"], content)
        self.assertIn("hello from words, again", self.of_type(outputs, "execute_result")[0]["data"]["text/plain"])

    def test_4_magic_from_java_loads_a_jar_for_the_next_statement(self):
        jar = os.environ["DRYDOCK_EXTRA_JAR"]
        content, outputs = self.run_cell(
            "magic(\"%classpath add " + jar + "\");\n"
            "new com.example.extra.Extra().getClass().getSimpleName()")
        self.assertEqual("ok", content["status"], content)
        self.assertIn("Extra", self.of_type(outputs, "execute_result")[0]["data"]["text/plain"])


if __name__ == "__main__":
    unittest.main()
