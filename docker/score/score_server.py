"""Serves any Azure ML-style scoring script over HTTP, with nothing but the Python standard library.

The script is a Python file with two functions, the contract of Azure ML's online endpoints:

    init()          called once, before the first request: load the model here
    run(raw_data)   called per request with the request body as a string; returns something JSON can hold

Endpoints:

    GET  /health    200 {"status": "ok"} once init() succeeded; 503 while it runs or after it failed
    POST /score     the body (JSON) goes to run(); its result comes back as JSON

Errors are JSON too, {"error": "..."}, with one clear sentence and never a stack trace (that goes to
stderr): 400 for a body that is not JSON or a ValueError from run() (the input has the wrong shape),
413 for a body over the size limit, 500 for any other exception of run(), 503 before init() is done.

    python3 score_server.py [--script score.py] [--port 5001] [--host 0.0.0.0] [--max-body-bytes N]

The script also comes from AZUREML_ENTRY_SCRIPT, the port from PORT, as Azure ML's own server reads
them. SIGTERM (docker stop) and SIGINT finish the requests in flight, then exit with status 0.
"""

import argparse
import importlib.util
import json
import logging
import os
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 5001
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024

log = logging.getLogger("score_server")


class ScoringScript:
    """A scoring script file, imported as a module of its own; its folder is importable beside it."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self._module = None

    def load(self):
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"the scoring script {self.path} does not exist")
        folder = os.path.dirname(self.path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        # Registered under its own name, as an import would be: pickled models can refer to its classes.
        name = os.path.splitext(os.path.basename(self.path))[0]
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        for name in ("init", "run"):
            if not callable(getattr(module, name, None)):
                raise TypeError(f"the scoring script {self.path} has no {name}() function")
        self._module = module

    def init(self):
        self._module.init()

    def run(self, raw_data):
        return self._module.run(raw_data)


class ScoringServer(ThreadingHTTPServer):
    """An HTTP server that calls init() in the background once it listens, then serves run()."""

    # Requests in flight finish before server_close() returns: a graceful stop.
    daemon_threads = False
    block_on_close = True

    def __init__(self, address, script, max_body_bytes=DEFAULT_MAX_BODY_BYTES):
        super().__init__(address, ScoringHandler)
        self.script = script
        self.max_body_bytes = max_body_bytes
        self.ready = threading.Event()
        self.init_error = None
        self._init_thread = None

    def start_init(self):
        """Loads the script and calls init() on a thread of its own, so /health answers meanwhile."""
        self._init_thread = threading.Thread(target=self._initialize, name="init", daemon=True)
        self._init_thread.start()
        return self._init_thread

    def _initialize(self):
        try:
            self.script.load()
            self.script.init()
        except BaseException as error:  # noqa: B902 - whatever init() raises, the server says so and stays up
            self.init_error = describe(error)
            log.exception("init() of %s failed", self.script.path)
            return
        log.info("init() of %s done; serving", self.script.path)
        self.ready.set()

    @property
    def port(self):
        return self.server_address[1]


class ScoringHandler(BaseHTTPRequestHandler):
    server_version = "DrydockScore/1"
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.split("?", 1)[0] != "/health":
            self._send(HTTPStatus.NOT_FOUND, {"error": f"No such endpoint: GET {self.path}. Try GET /health or POST /score."})
            return
        if self.server.ready.is_set():
            self._send(HTTPStatus.OK, {"status": "ok"})
        elif self.server.init_error is not None:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"status": "failed", "error": "init() failed: " + self.server.init_error})
        else:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"status": "starting"})

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/score":
            self._discard_body()
            self._send(HTTPStatus.NOT_FOUND, {"error": f"No such endpoint: POST {self.path}. Send requests to POST /score."})
            return
        body = self._read_body()
        if body is None:
            return
        if not self.server.ready.is_set():
            reason = ("init() failed: " + self.server.init_error) if self.server.init_error else "init() has not finished yet"
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "The model is not ready: " + reason + "."})
            return
        try:
            raw_data = body.decode("utf-8")
            json.loads(raw_data)
        except UnicodeDecodeError as error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": f"The request body is not UTF-8 text: {error.reason} at byte {error.start}."})
            return
        except json.JSONDecodeError as error:
            self._send(HTTPStatus.BAD_REQUEST, {
                "error": f"The request body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."})
            return
        try:
            result = self.server.script.run(raw_data)
        except ValueError as error:
            # What scikit-learn and numpy raise for input of the wrong shape or type: the caller's to fix.
            log.warning("run() rejected the input: %s", describe(error))
            self._send(HTTPStatus.BAD_REQUEST, {"error": "The input was rejected: " + describe(error)})
            return
        except Exception as error:  # noqa: B902 - any failure of the script is a 500 with its message, no trace
            log.exception("run() failed")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "run() failed: " + describe(error)})
            return
        try:
            payload = json.dumps(result, default=to_json)
        except (TypeError, ValueError) as error:
            log.exception("run() returned a value JSON cannot hold")
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "run() returned a value that is not JSON: " + describe(error)})
            return
        self._send_text(HTTPStatus.OK, payload)

    def _read_body(self):
        """The body, or None after answering the request with the reason it cannot be read."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "Send the body with a Content-Length header, not chunked."})
            return None
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._send(HTTPStatus.LENGTH_REQUIRED, {"error": "The request needs a Content-Length header."})
            return None
        length = int(length)
        if length > self.server.max_body_bytes:
            # Unread, the body would be taken for the next request on this connection: close it instead.
            self.close_connection = True
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {
                "error": f"The request body has {length} bytes; this server takes at most {self.server.max_body_bytes}."})
            return None
        return self.rfile.read(length)

    def _discard_body(self):
        length = self.headers.get("Content-Length", "0")
        if length.isdigit() and int(length) <= self.server.max_body_bytes:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    def _send(self, status, document):
        self._send_text(status, json.dumps(document))

    def _send_text(self, status, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 - the name BaseHTTPRequestHandler gives it
        log.info("%s %s", self.address_string(), format % args)


def describe(error):
    """One line for a person: the exception's type and message, no trace."""
    message = str(error).strip() or "(no message)"
    return f"{type(error).__name__}: {message}"


def to_json(value):
    """numpy arrays and scalars, which scoring scripts often return, as plain lists and numbers."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def serve(server):
    """Serves until SIGTERM or SIGINT, then lets the requests in flight finish."""

    def stop(signum, _frame):
        log.info("%s: finishing the requests in flight, then stopping", signal.Signals(signum).name)
        # shutdown() waits for serve_forever(), which runs on this very thread: ask from another one.
        threading.Thread(target=server.shutdown, name="shutdown").start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.start_init()
    log.info("listening on %s:%d for %s", server.server_address[0], server.port, server.script.path)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log.info("stopped")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve an Azure ML-style scoring script (init()/run()) over HTTP.")
    parser.add_argument("--script", default=os.environ.get("AZUREML_ENTRY_SCRIPT", "score.py"),
                        help="the scoring script (default: $AZUREML_ENTRY_SCRIPT or score.py)")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"), help="the address to listen on")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)), help="the port (default 5001)")
    parser.add_argument("--max-body-bytes", type=int,
                        default=int(os.environ.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
                        help="the largest request body taken (default 10 MiB)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    try:
        server = ScoringServer((args.host, args.port), ScoringScript(args.script), args.max_body_bytes)
    except OSError as error:
        log.error("cannot listen on %s:%d: %s", args.host, args.port, error)
        return 1
    serve(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
