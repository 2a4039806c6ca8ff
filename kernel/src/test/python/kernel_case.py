"""A test class with one Drydock kernel, started in a fresh folder through jupyter_client, and the cell runner
the probe modules share. Subclasses set TIMEOUT (seconds) and PREFIX (the folder's name)."""
import tempfile
import unittest

from jupyter_client.manager import start_new_kernel


class KernelCase(unittest.TestCase):
    TIMEOUT = 30
    PREFIX = "drydock-"

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix=cls.PREFIX)
        cls.km, cls.kc = start_new_kernel(kernel_name="drydock", cwd=cls.workdir)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code, timeout=None):
        """Executes code; returns (reply content, [iopub messages of this request])."""
        timeout = timeout or self.TIMEOUT
        msg_id = self.kc.execute(code)
        reply = self.reply_to(msg_id, timeout)
        return reply["content"], self.outputs_until_idle(msg_id, timeout)

    def outputs_until_idle(self, msg_id, timeout=None):
        """The iopub messages of a request up to its idle status."""
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout or self.TIMEOUT)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return outputs
            outputs.append(msg)

    def reply_to(self, msg_id, timeout=None):
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout or self.TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
