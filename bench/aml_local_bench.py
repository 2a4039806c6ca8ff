#!/usr/bin/python3
"""`%aml submit` with compute: local against `%container run` of the same command, in one kernel, through jupyter_client.

1. Overhead: `%aml submit job.yaml --stream` (snapshot, run folder, job.json, the container, the log streamed)
   against `%container run --rm -v CODE:/drydock/code:ro -w /drydock/code IMAGE python3 train.py`, the same
   command in the same image with the same code. Target: at most 1.5 s more, most of it the snapshot.
2. The snapshot of a code folder of 2,000 files (the time `%aml submit` reports in its "Snapshot of" line).

Needs the engine and images of bin/setup-docker (with --python-base) and an installed `drydock` kernel. A
benchmark, not a test: it prints numbers and targets and exits 0 either way.

    JUPYTER_PATH=... /usr/bin/python3 bench/aml_local_bench.py [--rounds 5]
"""
import argparse
import os
import re
import shutil
import statistics
import tempfile
import time

from jupyter_client.manager import KernelManager

from cells import run_cell

BASE = "drydock/python:bookworm"
TRAIN = "import sys\nprint('trained', sys.argv[1:])\n"
JOB = """\
type: command
code: ./{code}
command: python3 train.py --epochs 1
environment: {image}
compute: local
"""
SNAPSHOT = re.compile(r"Snapshot of .*?: (\d+) files, .*? in ([\d.]+) s")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="drydock-aml-bench-")
    write(os.path.join(work, "src", "train.py"), TRAIN)
    write(os.path.join(work, "job.yaml"), JOB.format(code="src", image=BASE))
    # 2,000 files of 1 KiB in 40 folders, as a code folder with data and helpers might hold.
    for i in range(2000):
        write(os.path.join(work, "big", "pkg%02d" % (i // 50), "m%04d.py" % i), "# %d\n" % i + "x = 1\n" * 170)
    write(os.path.join(work, "big", "train.py"), TRAIN)
    write(os.path.join(work, "big.yaml"), JOB.format(code="big", image=BASE))

    km = KernelManager(kernel_name="drydock")
    km.start_kernel(cwd=work)
    kc = km.client()
    kc.start_channels()
    rows = []
    try:
        kc.wait_for_ready(timeout=120)
        container = ("%%container run --rm -v %s:/drydock/code:ro -w /drydock/code %s python3 train.py --epochs 1"
                     % (os.path.join(work, "src"), BASE))
        run_cell(kc, container)  # warm-up: the engine connection, the image's layers in the page cache
        run_cell(kc, "%aml submit job.yaml --stream --name warm_up")
        aml, plain, snapshots = [], [], []
        for i in range(args.rounds):
            elapsed, text = run_cell(kc, "%%aml submit job.yaml --stream --name round_%d" % i)
            aml.append(elapsed)
            snapshots.append(float(SNAPSHOT.search("".join(text)).group(2)))
            plain.append(run_cell(kc, container)[0])
        overhead = statistics.median(aml) - statistics.median(plain)
        rows.append(("%aml submit --stream, compute: local (s)", statistics.median(aml), ""))
        rows.append(("%container run, same command and image (s)", statistics.median(plain), ""))
        rows.append(("overhead of %aml submit (s)", overhead,
                     "<= 1.5: " + ("met" if overhead <= 1.5 else "**missed**")))
        rows.append(("  of which the snapshot of 1 file (s)", statistics.median(snapshots), ""))

        big = []
        for i in range(args.rounds):
            _, text = run_cell(kc, "%%aml submit big.yaml --stream --name big_%d" % i)
            match = SNAPSHOT.search("".join(text))
            files = int(match.group(1))
            big.append(float(match.group(2)))
        rows.append(("snapshot of a code folder of %d files (s)" % files, statistics.median(big), ""))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        shutil.rmtree(work, ignore_errors=True)

    print("| measure | value | target |")
    print("| --- | --- | --- |")
    for name, value, target in rows:
        print(f"| {name} | {value:.3g} | {target} |")


if __name__ == "__main__":
    main()
