#!/usr/bin/python3
"""Drydock's Docker magics against the docker CLI, side by side, in one run, through jupyter_client.

1. A no-op `%env build` (nothing changed) against `docker build` of the same context, fully cached.
2. `%container run --rm IMAGE true` against `docker run --rm IMAGE true`.
3. A container printing 100 MB of logs followed into the notebook: time, iopub stream messages (in all
   and per second) and the kernel's peak resident memory while it runs.
4. With no engine (DOCKER_HOST=tcp://127.0.0.1:1): how long `%container ls` takes to fail, against
   `docker ps` (the README promises within two seconds; the tests only check the message).

Needs the engine and images of bin/setup-docker (with --python-base). A benchmark, not a test: it prints
numbers and targets and exits 0 either way.

    JUPYTER_PATH=... /usr/bin/python3 bench/docker_bench.py [--rounds 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

import psutil
from jupyter_client.manager import KernelManager

from cells import run_cell, wait_reply

BASE = "drydock/python:bookworm"
SMALL = "drydock/busybox:1"
DOCKERFILE_LABEL = "dev.drydock.dockerfile"
# Debian's 20.10 CLI drives the legacy builder, the one docker-java's build API uses too.
DOCKER = shutil.which("docker", path="/usr/bin") or "docker"


def timed(command, env=None):
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def median(values):
    return statistics.median(values)


class PeakMemory(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            tree = [self.process] + self.process.children(recursive=True)
            self.peak = max(self.peak, sum(p.memory_info().rss for p in tree))
            time.sleep(0.05)


def no_engine(rounds):
    """Seconds until `%container ls` fails in a kernel whose DOCKER_HOST answers nothing: first, median."""
    km = KernelManager(kernel_name="drydock")
    km.start_kernel(env=dict(os.environ, DOCKER_HOST="tcp://127.0.0.1:1"))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            reply = wait_reply(kc, kc.execute("%container ls"))
            times.append(time.perf_counter() - started)
            if reply["content"]["status"] != "error":
                raise SystemExit("%container ls with no engine did not fail: " + str(reply["content"]))
        return times[0], median(times)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def docker_ps_no_engine():
    started = time.perf_counter()
    subprocess.run([DOCKER, "-H", "tcp://127.0.0.1:1", "ps"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="drydock-docker-bench-")
    km = KernelManager(kernel_name="drydock")
    km.start_kernel(cwd=work)
    kc = km.client()
    kc.start_channels()
    rows = []
    try:
        kc.wait_for_ready(timeout=120)
        # pip itself satisfies the pin, so the build needs no package index.
        run_cell(kc, "%%writefile requirements.txt\npip>=20\n")
        build = "%env build benchenv --base " + BASE + " --pip requirements.txt"
        run_cell(kc, build)  # the real build, once
        noop = median([run_cell(kc, build)[0] for _ in range(args.rounds)])

        tag = subprocess.run([DOCKER, "images", "--format", "{{.Repository}}:{{.Tag}}", "drydock/benchenv"],
                             check=True, capture_output=True, text=True).stdout.split()[0]
        dockerfile = subprocess.run([DOCKER, "image", "inspect", "-f",
                                     '{{ index .Config.Labels "%s" }}' % DOCKERFILE_LABEL, tag],
                                    check=True, capture_output=True, text=True).stdout
        context = os.path.join(work, "context")
        os.makedirs(os.path.join(context, "pip"))
        with open(os.path.join(context, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        shutil.copy(os.path.join(work, "requirements.txt"), os.path.join(context, "pip", "requirements.txt"))
        legacy = dict(os.environ, DOCKER_BUILDKIT="0")
        cli_build = [DOCKER, "build", "-q", "-t", "drydock-bench/cli-copy:1", context]
        timed(cli_build, legacy)  # fills the cache
        cached = median([timed(cli_build, legacy) for _ in range(args.rounds)])
        rows.append(("no-op build (s)", noop, cached, "Drydock <= 1/5 of docker build"))

        run_cell(kc, "%container run --rm " + SMALL + " true")  # warm-up
        ours = median([run_cell(kc, "%container run --rm " + SMALL + " true")[0] for _ in range(args.rounds * 2)])
        timed([DOCKER, "run", "--rm", SMALL, "true"])
        theirs = median([timed([DOCKER, "run", "--rm", SMALL, "true"]) for _ in range(args.rounds * 2)])
        rows.append(("run --rm IMAGE true (s)", ours, theirs, "no slower"))

        watcher = PeakMemory(km.provisioner.process.pid)
        watcher.start()
        line = "0123456789" * 9 + "012345678"
        elapsed, stream_texts = run_cell(kc, "%%container run --rm %s sh -c 'yes %s | head -c 100000000'" % (SMALL, line))
        streams = len(stream_texts)
        watcher.done.set()
        watcher.join()
        started = time.perf_counter()
        subprocess.run([DOCKER, "run", "--rm", SMALL, "sh", "-c", "yes %s | head -c 100000000" % line],
                       check=True, stdout=subprocess.DEVNULL)
        cli_logs = time.perf_counter() - started
        rows.append(("100 MB of logs followed (s)", elapsed, cli_logs, ""))
        rows.append(("100 MB: stream messages", streams, None, ""))
        rows.append(("100 MB: stream messages per second", streams / elapsed, None, "<= 50"))
        rows.append(("100 MB: peak kernel memory (MiB)", watcher.peak / 2**20, None, "bounded"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        subprocess.run([DOCKER, "rmi", "-f", "drydock-bench/cli-copy:1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)

    first, typical = no_engine(args.rounds)
    rows.append(("no engine: first %container ls error (s)", first, docker_ps_no_engine(), "<= 2"))
    rows.append(("no engine: median error (s)", typical, None, "<= 2"))

    print("| measure | drydock | docker CLI | target |")
    print("| --- | --- | --- | --- |")
    for name, ours, theirs, target in rows:
        fmt = lambda v: "" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.3g}")
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {target} |")


if __name__ == "__main__":
    main()
