"""System.exit and friends from a cell end the cell with SystemExit, never the kernel. JupyterClientsIT
runs this module against the kernel on JDK 17 and again on JDK 25 (no SecurityManager there)."""
import tempfile
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


class Exits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="drydock", cwd=tempfile.mkdtemp(prefix="drydock-exits-"))

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code):
        reply = self.kc.execute_interactive(code, timeout=TIMEOUT, output_hook=lambda msg: None)
        return reply["content"]

    def assert_exit(self, code, status, call):
        content = self.run_cell(code)
        self.assertEqual("error", content["status"], code)
        self.assertEqual("SystemExit", content["ename"], code)
        self.assertIn("exit status %d" % status, content["evalue"])
        self.assertIn(call, content["evalue"])
        self.assertTrue(self.km.is_alive())

    def test_system_exit_is_an_error_naming_the_status_and_variables_survive(self):
        self.assertEqual("ok", self.run_cell("int survivor = 41;")["status"])
        self.assert_exit("System.exit(3);", 3, "System.exit")
        outputs = []
        self.kc.execute_interactive("survivor + 1", timeout=TIMEOUT, output_hook=outputs.append)
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(["42"], results)

    def test_runtime_exit_and_halt_through_a_method_and_a_method_reference(self):
        self.assert_exit("void quit(int s) { Runtime.getRuntime().exit(s); }\nquit(4);", 4, "Runtime.exit")
        self.assert_exit("java.util.function.IntConsumer halt = Runtime.getRuntime()::halt; halt.accept(5);", 5, "Runtime.halt")


if __name__ == "__main__":
    unittest.main()
