"""Running one cell through jupyter_client and timing it, shared by the benchmark scripts."""
import time


def wait_reply(kc, msg_id, timeout=120):
    """The shell reply to msg_id, skipping replies to anything else."""
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply


def run_cell(kc, code, timeout=600):
    """Executes code; returns (seconds until the kernel is idle again, the texts of its stream messages).

    A cell whose reply is not ok ends the benchmark: its numbers would measure a failure.
    """
    started = time.perf_counter()
    msg_id = kc.execute(code)
    streams = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            streams.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            elapsed = time.perf_counter() - started
            reply = wait_reply(kc, msg_id, timeout)
            if reply["content"]["status"] != "ok":
                raise SystemExit("cell failed: %s\n%s\n%s" % (code, "".join(streams), reply["content"]))
            return elapsed, streams
