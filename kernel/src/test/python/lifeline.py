"""The kernel's life outside the protocol: it exits when the process that started it dies (JPY_PARENT_PID,
as ipykernel's parent poller), and SIGTERM shuts it down cleanly, interrupting the running cell."""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import psutil
from jupyter_client.manager import start_new_kernel

TIMEOUT = 60

# A frontend that starts a kernel, waits until it answers, then dies without shutting it down.
SHORT_LIVED_PARENT = r"""
import os, sys
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="drydock")
km.start_kernel(cwd=sys.argv[1])
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
print(km.provisioner.process.pid, flush=True)
os._exit(0)
"""


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read().strip()


def wait_gone(pid, timeout):
    """Whether the process ended (or is a zombie nobody reaped yet) within timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


class Lifeline(unittest.TestCase):
    def test_the_kernel_exits_when_the_process_that_started_it_dies(self):
        workdir = tempfile.mkdtemp(prefix="drydock-orphan-")
        parent = subprocess.run([sys.executable, "-c", SHORT_LIVED_PARENT, workdir],
                                capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(0, parent.returncode, parent.stderr)
        pid = int(parent.stdout.split()[-1])
        gone = wait_gone(pid, TIMEOUT)
        if not gone:
            os.kill(pid, signal.SIGKILL)
        self.assertTrue(gone, "the kernel outlived the process that started it")

    def test_sigterm_interrupts_the_running_cell_and_exits_cleanly(self):
        workdir = tempfile.mkdtemp(prefix="drydock-sigterm-")
        km, kc = start_new_kernel(kernel_name="drydock", cwd=workdir)
        try:
            pidfile = os.path.join(workdir, "sleep.pid")
            kc.execute("!echo $$ > %s; exec sleep 300" % pidfile)
            deadline = time.time() + TIMEOUT
            while not read(pidfile):
                self.assertLess(time.time(), deadline, "the cell never started its sleep")
                time.sleep(0.1)
            sleeper = int(read(pidfile))
            kernel = km.provisioner.process
            kernel.send_signal(signal.SIGTERM)
            self.assertEqual(0, kernel.wait(timeout=TIMEOUT), "the kernel did not exit cleanly on SIGTERM")
            self.assertTrue(wait_gone(sleeper, TIMEOUT), "the running cell's process outlived the kernel")
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)


    def test_exit_alone_shuts_the_kernel_down_as_in_ipython(self):
        km, kc = start_new_kernel(kernel_name="drydock", cwd=tempfile.mkdtemp(prefix="drydock-exit-"))
        try:
            reply = kc.execute_interactive("exit", timeout=TIMEOUT, output_hook=lambda msg: None)
            self.assertEqual("ok", reply["content"]["status"])
            self.assertIn({"source": "ask_exit", "keepkernel": False}, reply["content"]["payload"])
            self.assertEqual(0, km.provisioner.process.wait(timeout=TIMEOUT))
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)


if __name__ == "__main__":
    unittest.main()
