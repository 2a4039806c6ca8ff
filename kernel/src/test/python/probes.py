"""Protocol probes through a real Jupyter client (jupyter_client), beyond the conformance suite:
signatures, interrupts, bad input and secrets. Run like conformance.py.
"""
import os
import signal
import subprocess
import time
import unittest
import uuid

import zmq
from jupyter_client.session import Session

import kernel_case

TIMEOUT = 30


class DrydockProbes(kernel_case.KernelCase):
    TIMEOUT = TIMEOUT
    PREFIX = "drydock-probes-"

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
        self.assertEqual("ok", content["status"], content)
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


    # --- found under attack: each of these once broke the kernel ---

    def test_code_that_crashes_jshells_compiler_is_an_error_and_the_kernel_serves_on(self):
        self.assert_clear_error("x private { int", "cannot be compiled")

    def test_a_string_constant_too_long_for_a_class_file_is_reported_and_breaks_nothing(self):
        self.assert_clear_error('String big = "%s";' % ("a" * 70_000), "too long")
        content, _ = self.run_cell("int afterTheLongString = 1;")
        self.assertEqual("ok", content["status"])

    def test_a_25_mb_writefile_runs(self):
        body = "x" * 25_000_000
        content, _ = self.run_cell("%%%%writefile big.txt\n%s" % body, timeout=120)
        self.assertEqual("ok", content["status"])
        with open(os.path.join(self.workdir, "big.txt")) as f:
            self.assertEqual(body, f.read().rstrip("\n"))

    def test_a_replayed_signed_message_is_not_executed_again(self):
        marker = os.path.join(self.workdir, "replayed-" + uuid.uuid4().hex)
        session = Session(key=self.km.session.key, signature_scheme=self.km.session.signature_scheme)
        msg = session.msg("execute_request", {
            "code": '!echo run >> %s' % marker, "silent": False, "store_history": False,
            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        frames = session.serialize(msg)
        info = self.km.get_connection_info()
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.connect("%s://%s:%d" % (info["transport"], info["ip"], info["shell_port"]))
        try:
            sock.send_multipart(frames)
            self.assertTrue(sock.poll(TIMEOUT * 1000), "the kernel did not answer the first message")
            sock.recv_multipart()
            sock.send_multipart(frames)
            self.assertFalse(sock.poll(2000), "the kernel answered a replayed message")
        finally:
            sock.close(linger=0)
        with open(marker) as f:
            self.assertEqual(["run"], f.read().split())
        self.assert_alive()

    def test_sigint_interrupts_the_cell_and_never_kills_the_kernel(self):
        pid = self.km.provisioner.process.pid
        os.kill(pid, signal.SIGINT)
        # The JVM runs a signal's handler on a thread it starts for it, so a SIGINT sent while the kernel is idle can
        # be handled a few milliseconds later, after the next request has started, and interrupt that cell instead
        # (CI saw it once). That cell is not what this step checks: survival of the idle signal is.
        time.sleep(0.5)
        self.assert_alive()
        msg_id = self.kc.execute("Thread.sleep(60_000);")
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
        time.sleep(0.5)
        os.kill(pid, signal.SIGINT)
        reply = self.reply_to(msg_id)
        self.assertEqual("KeyboardInterrupt", reply["content"]["ename"])
        self.assert_alive()

    def test_an_interrupted_loop_that_catches_throwable_is_left_running_with_a_warning(self):
        msg_id = self.kc.execute("while (true) { try { Thread.sleep(5); } catch (Throwable t) { } }")
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input":
                break
        time.sleep(0.5)
        self.km.interrupt_kernel()
        reply = self.reply_to(msg_id)
        self.assertEqual("KeyboardInterrupt", reply["content"]["ename"])
        shown = self.outputs_until_idle(msg_id)
        self.assertIn("left running in the background", self.text_of(shown))
        self.assert_alive()

    def test_sending_from_an_interrupted_thread_leaves_the_io_thread_idle(self):
        content, _ = self.run_cell('Thread.currentThread().interrupt(); display("text/plain", "sent"); System.out.println("printed");')
        self.assertEqual("ok", content["status"])
        self.assert_alive()
        import psutil
        kernel = psutil.Process(self.km.provisioner.process.pid)
        before = sum(kernel.cpu_times()[:2])
        time.sleep(3)
        used = sum(kernel.cpu_times()[:2]) - before
        self.assertLess(used, 1.0, "the idle kernel used %.2f s of CPU in 3 s" % used)

    def test_a_bash_body_over_128_kib_runs(self):
        filler = ": " + "x" * 200_000
        content, outputs = self.run_cell("%%%%bash\necho start\n%s\necho done" % filler)
        self.assertEqual("ok", content["status"], self.text_of(outputs))
        self.assertIn("done", self.text_of(outputs))

    def test_is_complete_reads_cell_magics_java_and_continued_lines_as_ipython_does(self):
        cases = {
            "%%bash": "incomplete",
            "%%bash\necho x": "incomplete",
            "%%bash\necho x\n\n": "complete",
            "for (int i = 0; i < 3; i++) {": "incomplete",
            "int x = ;": "invalid",
            "!echo a \\": "incomplete",
            "%lsmagic": "complete",
            "int y = 1;": "complete",
        }
        for code, expected in cases.items():
            msg_id = self.kc.is_complete(code)
            self.assertEqual(expected, self.reply_to(msg_id)["content"]["status"], code)


    def test_every_display_carries_text_plain(self):
        cells = [
            'display("text/markdown", "**dock**");',
            'display("text/html", "<table><tr><td>a</td><td>1</td></tr></table>");',
            'display("application/json", "{\\"a\\": 1}");',
            'display(new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB));',
            'var id = display("text/html", "<b>x</b>"); updateDisplay(id, "text/markdown", "*y*");',
        ]
        for code in cells:
            content, outputs = self.run_cell(code)
            self.assertEqual("ok", content["status"], code)
            shown = [m for m in outputs if m["msg_type"] in ("display_data", "update_display_data", "execute_result")]
            self.assertTrue(shown, code)
            for msg in shown:
                self.assertIn("text/plain", msg["content"]["data"], code)
        _, outputs = self.run_cell('display(new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB))')
        self.assertEqual(["display_data"], [m["msg_type"] for m in outputs if m["msg_type"] not in ("status", "execute_input")],
                         "display(x) without a semicolon shows x once and no Out[n]")
        self.assertEqual("<image/png 64×48>", outputs[-1]["content"]["data"]["text/plain"])

    def test_a_cell_whose_third_line_cannot_compile_prints_nothing(self):
        content, outputs = self.run_cell('System.out.println("first");\nSystem.out.println("second");\nint broken = ;')
        self.assertEqual("error", content["status"])
        self.assertNotIn("first", self.text_of(outputs))
        self.assertNotIn("second", self.text_of(outputs))
        self.assertIn("cell line 3", content["evalue"])


if __name__ == "__main__":
    unittest.main()
