"""Protocol probes through a real Jupyter client (jupyter_client), beyond the conformance suite:
signatures, interrupts, bad input and secrets. Run like conformance.py.
"""
import os
import subprocess
import tempfile
import time
import unittest
import uuid

import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 30


class DrydockProbes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="drydock-probes-")
        cls.km, cls.kc = start_new_kernel(kernel_name="drydock", cwd=cls.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code, timeout=TIMEOUT):
        """Executes code; returns (reply content, [iopub messages of this request])."""
        msg_id = self.kc.execute(code)
        reply = self.reply_to(msg_id, timeout)
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return reply["content"], outputs
            outputs.append(msg)

    def reply_to(self, msg_id, timeout=TIMEOUT):
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    @staticmethod
    def text_of(outputs):
        parts = []
        for msg in outputs:
            content = msg["content"]
            if msg["msg_type"] == "stream":
                parts.append(content["text"])
            elif msg["msg_type"] in ("execute_result", "display_data"):
                parts.append(content["data"].get("text/plain", ""))
            elif msg["msg_type"] == "error":
                parts.append("\n".join(content["traceback"]))
        return "".join(parts)

    def assert_alive(self):
        content, outputs = self.run_cell("40 + 2")
        self.assertEqual("ok", content["status"])
        self.assertIn("42", self.text_of(outputs))

    def test_message_signed_with_wrong_key_is_not_executed(self):
        marker = os.path.join(self.workdir, "wrong-key-" + uuid.uuid4().hex)
        forged = Session(key=b"not-the-kernel-key", username="attacker")
        ctx = zmq.Context.instance()
        sock = ctx.socket(zmq.DEALER)
        info = self.km.get_connection_info()
        sock.connect("%s://%s:%d" % (info["transport"], info["ip"], info["shell_port"]))
        try:
            forged.send(sock, "execute_request", {
                "code": '!touch %s' % marker, "silent": False, "store_history": True,
                "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            self.assertFalse(sock.poll(2000), "the kernel answered a forged message")
        finally:
            sock.close(linger=0)
        self.assertFalse(os.path.exists(marker), "a forged message was executed")
        self.assert_alive()

    def interrupt_during(self, code):
        msg_id = self.kc.execute(code)
        deadline = time.time() + TIMEOUT
        while True:  # wait until the cell has started
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
            self.assertLess(time.time(), deadline)
        time.sleep(0.5)
        started = time.time()
        self.km.interrupt_kernel()
        reply = self.reply_to(msg_id, timeout=5)
        elapsed = time.time() - started
        self.assertEqual("error", reply["content"]["status"])
        self.assertEqual("KeyboardInterrupt", reply["content"]["ename"])
        self.assertLess(elapsed, 1.5, "the interrupted cell took %.2f s to end" % elapsed)
        self.assert_alive()

    def test_interrupt_stops_sleeping_java_cell(self):
        self.interrupt_during("Thread.sleep(60_000);")

    def test_interrupt_stops_busy_java_cell(self):
        self.interrupt_during("long spins = 0; while (true) { spins++; }")

    def test_interrupt_kills_bash_sleep(self):
        self.interrupt_during("%%bash\nsleep 60")

    def test_interrupt_stops_a_container_and_rm_removes_it(self):
        # The kernel interrupts a magic's thread as well as its cancellation; the clean-up must survive that.
        name = "drydock-probe-" + uuid.uuid4().hex[:8]
        msg_id = self.kc.execute("%%container run --rm --name %s drydock/busybox:1 sh -c 'echo ready; sleep 60'" % name)
        deadline = time.time() + TIMEOUT
        while True:  # wait until the container runs and has printed
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" \
                    and "ready" in msg["content"]["text"]:
                break
            self.assertLess(time.time(), deadline)
        started = time.time()
        self.km.interrupt_kernel()
        reply = self.reply_to(msg_id, timeout=10)
        elapsed = time.time() - started
        self.assertEqual("KeyboardInterrupt", reply["content"]["ename"])
        self.assertLess(elapsed, 2.5, "stopping the container took %.2f s" % elapsed)
        left = subprocess.run(["docker", "ps", "-a", "-q", "--filter", "name=" + name],
                              capture_output=True, text=True, check=True).stdout
        self.assertEqual("", left.strip(), "the interrupted --rm container is still there")
        self.assert_alive()

    def assert_clear_error(self, code, *expected):
        content, outputs = self.run_cell(code)
        self.assertEqual("error", content["status"], code)
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(1, len(errors), code)
        shown = "\n".join(errors[0]["traceback"]) + errors[0]["evalue"]
        self.assertNotIn("dev.drydock.kernel", shown, "kernel internals leaked into the error")
        for text in expected:
            self.assertIn(text, shown)
        self.assert_alive()

    def test_random_bytes_give_a_clear_error(self):
        self.assert_clear_error(os.urandom(64).decode("latin-1").replace("%", "").replace("!", ""))

    def test_unterminated_string(self):
        self.assert_clear_error('String s = "never closed;', "unclosed string literal")

    def test_magic_with_missing_argument(self):
        self.assert_clear_error("%%writefile\nbody", "UsageError", "FILE")

    def test_writefile_where_nothing_can_be_written(self):
        self.assert_clear_error("%%writefile /proc/drydock/out.txt\nbody", "/proc/drydock/out.txt")

    def test_unknown_magic_names_the_nearest(self):
        self.assert_clear_error("%lsmagc", "%lsmagic")

    def test_ipython_env_sets_a_variable_shell_commands_see(self):
        content, outputs = self.run_cell("%env FOO=bar")
        self.assertEqual("ok", content["status"])
        self.assertIn("env: FOO=bar", self.text_of(outputs))
        content, outputs = self.run_cell("!echo $FOO")
        self.assertEqual("ok", content["status"])
        self.assertEqual("bar\n", self.text_of(outputs))

    def test_env_secrets_are_masked_everywhere(self):
        secret = "s3cr3t-" + uuid.uuid4().hex[:8]
        content, _ = self.run_cell("%%%%writefile .env\nREGISTRY_PASSWORD=%s\n" % secret)
        self.assertEqual("ok", content["status"])
        self.assertEqual(0o600, os.stat(os.path.join(self.workdir, ".env")).st_mode & 0o777)
        content, outputs = self.run_cell("%dotenv")
        self.assertIn("REGISTRY_PASSWORD", self.text_of(outputs))
        cells = [
            '!echo "$REGISTRY_PASSWORD"',
            "%%bash\necho ${REGISTRY_PASSWORD} >&2",
            'System.out.println("%s")' % secret,
            '"%s"' % secret,
            'throw new RuntimeException("%s")' % secret,
            'display("text/html", "<i>%s</i>");' % secret,
        ]
        for code in cells:
            _, outputs = self.run_cell(code)
            shown = str([m["content"] for m in outputs])
            self.assertNotIn(secret, shown, code)
            self.assertIn("****", shown, code)


if __name__ == "__main__":
    unittest.main()
