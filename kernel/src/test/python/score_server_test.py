"""Tests of the scoring server in docker/score/: in process over real HTTP on a free port, and once as a
process stopped with SIGTERM. Standard library only, so Debian's or any Python 3.8+ runs them:
    /usr/bin/python3 -m unittest -v score_server_test
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

SERVER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docker", "score"))
sys.path.insert(0, SERVER_DIR)

import score_server  # noqa: E402 - found through the path above

# A model in the style of a scikit-learn classifier, without needing scikit-learn: two features per row.
MODEL_SCRIPT = """
import json

model = None

def init():
    global model
    model = lambda row: int(row[0] + row[1] > 0)

def run(raw_data):
    rows = json.loads(raw_data)["data"]
    for row in rows:
        if len(row) != 2:
            raise ValueError(f"Expected 2 features per row, got {len(row)}")
    return {"predictions": [model(row) for row in rows]}
"""

RAISING_SCRIPT = """
def init():
    pass

def run(raw_data):
    raise RuntimeError("the model file is corrupt")
"""

FAILING_INIT_SCRIPT = """
def init():
    raise FileNotFoundError("model.joblib is missing")

def run(raw_data):
    return 1
"""

SLOW_INIT_SCRIPT = """
import threading
release = threading.Event()

def init():
    release.wait(30)

def run(raw_data):
    return raw_data
"""


class ScoringServerTest(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.addCleanup(self.folder.cleanup)

    def serve(self, source, max_body_bytes=score_server.DEFAULT_MAX_BODY_BYTES, wait=True):
        path = os.path.join(self.folder.name, "score.py")
        with open(path, "w") as out:
            out.write(textwrap.dedent(source))
        server = score_server.ScoringServer(("127.0.0.1", 0), score_server.ScoringScript(path), max_body_bytes)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        init = server.start_init()
        if wait:
            init.join(10)
        return server

    def request(self, server, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {"Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            self.assertEqual("application/json", response.getheader("Content-Type"))
            return response.status, json.loads(text), text
        finally:
            connection.close()

    def test_valid_request_is_scored(self):
        server = self.serve(MODEL_SCRIPT)
        status, document, _ = self.request(server, "POST", "/score", json.dumps({"data": [[1, 2], [-3, 1]]}))
        self.assertEqual(200, status)
        self.assertEqual({"predictions": [1, 0]}, document)

    def test_malformed_json_is_a_400_with_a_clear_message(self):
        server = self.serve(MODEL_SCRIPT)
        status, document, text = self.request(server, "POST", "/score", '{"data": [[1, 2]')
        self.assertEqual(400, status)
        self.assertRegex(document["error"], r"^The request body is not valid JSON: .+ at line 1, column \d+\.$")
        self.assertNotIn("Traceback", text)

    def test_wrong_shape_is_a_400_naming_the_problem(self):
        server = self.serve(MODEL_SCRIPT)
        status, document, text = self.request(server, "POST", "/score", json.dumps({"data": [[1, 2, 3]]}))
        self.assertEqual(400, status)
        self.assertEqual("The input was rejected: ValueError: Expected 2 features per row, got 3", document["error"])
        self.assertNotIn("Traceback", text)

    def test_script_that_raises_is_a_500_with_its_message_but_no_trace(self):
        server = self.serve(RAISING_SCRIPT)
        status, document, text = self.request(server, "POST", "/score", "{}")
        self.assertEqual(500, status)
        self.assertEqual({"error": "run() failed: RuntimeError: the model file is corrupt"}, document)
        self.assertNotIn("Traceback", text)
        self.assertNotIn("score.py", text)

    def test_health_is_503_until_init_finishes_then_200(self):
        server = self.serve(SLOW_INIT_SCRIPT, wait=False)
        status, document, _ = self.request(server, "GET", "/health")
        self.assertEqual((503, {"status": "starting"}), (status, document))
        status, document, _ = self.request(server, "POST", "/score", "{}")
        self.assertEqual(503, status)
        self.assertIn("init() has not finished yet", document["error"])

        deadline = time.monotonic() + 10
        while "score" not in sys.modules or not hasattr(sys.modules["score"], "release"):
            self.assertLess(time.monotonic(), deadline, "the script was never imported")
            time.sleep(0.05)
        sys.modules["score"].release.set()
        self.assertTrue(server.ready.wait(10))
        self.assertEqual((200, {"status": "ok"}), self.request(server, "GET", "/health")[:2])
        self.assertEqual((200, "[1]"), self.request(server, "POST", "/score", "[1]")[:2])

    def test_failed_init_keeps_health_at_503_with_the_reason(self):
        server = self.serve(FAILING_INIT_SCRIPT)
        status, document, _ = self.request(server, "GET", "/health")
        self.assertEqual(503, status)
        self.assertEqual({"status": "failed", "error": "init() failed: FileNotFoundError: model.joblib is missing"}, document)
        status, document, _ = self.request(server, "POST", "/score", "{}")
        self.assertEqual(503, status)
        self.assertEqual("The model is not ready: init() failed: FileNotFoundError: model.joblib is missing.", document["error"])

    def test_body_over_the_limit_is_a_413(self):
        server = self.serve(MODEL_SCRIPT, max_body_bytes=64)
        status, document, _ = self.request(server, "POST", "/score", json.dumps({"data": [[1, 2]] * 20}))
        self.assertEqual(413, status)
        self.assertIn("at most 64", document["error"])

    def test_unknown_paths_are_404(self):
        server = self.serve(MODEL_SCRIPT)
        self.assertEqual(404, self.request(server, "GET", "/score")[0])
        self.assertEqual(404, self.request(server, "POST", "/predict", "{}")[0])

    def test_numpy_like_results_become_json(self):
        server = self.serve("""
            class Array:
                def tolist(self):
                    return [1, 2]

            def init():
                pass

            def run(raw_data):
                return {"predictions": Array()}
            """)
        self.assertEqual((200, {"predictions": [1, 2]}), self.request(server, "POST", "/score", "{}")[:2])


class ScoringServerProcessTest(unittest.TestCase):

    def test_sigterm_stops_the_server_with_status_0(self):
        with tempfile.TemporaryDirectory() as folder:
            script = os.path.join(folder, "score.py")
            with open(script, "w") as out:
                out.write(textwrap.dedent(MODEL_SCRIPT))
            process = subprocess.Popen([sys.executable, os.path.join(SERVER_DIR, "score_server.py"), "--script", script,
                                        "--host", "127.0.0.1", "--port", "0"], stderr=subprocess.PIPE, text=True)
            try:
                lines = []
                for line in process.stderr:
                    lines.append(line)
                    if "serving" in line:
                        break
                self.assertTrue(any("init() of" in line for line in lines), "".join(lines))
                process.send_signal(signal.SIGTERM)
                self.assertEqual(0, process.wait(10))
                self.assertIn("stopped", process.stderr.read())
            finally:
                if process.poll() is None:
                    process.kill()
                process.stderr.close()


if __name__ == "__main__":
    unittest.main()
