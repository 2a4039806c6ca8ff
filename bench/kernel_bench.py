#!/usr/bin/python3
"""Drydock and ipykernel side by side, in one run, through jupyter_client.

Measures, for each kernel: startup to the first kernel_info_reply (the median of 5 starts), the round
trip of a trivial cell (p50/p99) and of a small cell that Drydock has to compile, a cell printing 100,000 lines (time to idle and number of iopub `stream` messages), resident
memory of the kernel's process tree after those cells, and the time from interrupt_request to its
reply and to the interrupted cell's execute_reply. A benchmark, not a test: it prints numbers and the
targets, and exits 0 either way.

With --growth N it instead runs N declarations, then N trivial `1 + 1` cells, in one kernel of each
kind, and prints resident memory and the mean time a cell every 500 cells, then the memory after the
kernel sat idle for 15 s (a kernel should give freed memory back):

    JUPYTER_PATH=... /usr/bin/python3 bench/kernel_bench.py [--rounds 200] [--kernels drydock python3]
    JUPYTER_PATH=... /usr/bin/python3 bench/kernel_bench.py --growth 3000
"""
import argparse
import os
import statistics
import sys
import time

import psutil
from jupyter_client.manager import KernelManager

from cells import run_cell, wait_reply

CELLS = {
    # kernel name: (trivial cell, a call, 100,000-line cell, sleeping cell). Drydock shows a literal or a
    # variable's name without javac; the call is compiled, as every other Java cell is.
    "drydock": ("1", "Math.abs(-1)", 'for (int i = 0; i < 100_000; i++) System.out.println("line " + i);',
                "Thread.sleep(60_000);"),
    "python3": ("1", "abs(-1)", 'for i in range(100_000): print("line", i)', "import time; time.sleep(60)"),
}
STARTS = 5


def tree_rss_mib(pid):
    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process] + process.children(recursive=True)) / 2**20


def startup(name):
    """Seconds from launching the kernel to its first kernel_info_reply (jupyter_client's wait_for_ready)."""
    km = KernelManager(kernel_name=name)
    started = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        return time.perf_counter() - started
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def measure(name, rounds):
    trivial, call, many_lines, sleeping = CELLS[name]
    starts = statistics.median(startup(name) for _ in range(STARTS))
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)

        for _ in range(10):  # warm-up, as a person's first few cells would be
            run_cell(kc, trivial)
        trips = sorted(run_cell(kc, trivial)[0] * 1000 for _ in range(rounds))
        p50 = statistics.median(trips)
        p99 = trips[min(len(trips) - 1, int(len(trips) * 0.99))]
        for _ in range(10):
            run_cell(kc, call)
        call_p50 = statistics.median(run_cell(kc, call)[0] * 1000 for _ in range(rounds))

        infos = []
        for _ in range(rounds):
            started_info = time.perf_counter()
            wait_reply(kc, kc.kernel_info())
            infos.append((time.perf_counter() - started_info) * 1000)
        info_p50 = statistics.median(infos)

        lines_time, lines_streams = run_cell(kc, many_lines)
        lines_messages = len(lines_streams)
        rss = tree_rss_mib(km.provisioner.process.pid)

        msg_id = kc.execute(sleeping)
        time.sleep(1.0)
        # Both kernels take interrupt_request on control (ipykernel 6 signals itself on receiving it).
        request = kc.session.msg("interrupt_request", {})
        interrupt_started = time.perf_counter()
        kc.control_channel.send(request)
        while kc.get_control_msg(timeout=10)["parent_header"].get("msg_id") != request["header"]["msg_id"]:
            pass
        interrupt_reply = time.perf_counter() - interrupt_started
        wait_reply(kc, msg_id, timeout=10)
        cell_ended = time.perf_counter() - interrupt_started
        return {
            "startup to kernel_info_reply (s)": starts,
            "trivial cell p50 (ms)": p50,
            "trivial cell p99 (ms)": p99,
            "compiled call p50 (ms)": call_p50,
            "kernel_info round trip p50 (ms)": info_p50,
            "100,000 lines: time to idle (s)": lines_time,
            "100,000 lines: stream messages": lines_messages,
            "resident memory of process tree (MiB)": rss,
            "interrupt: reply on control (s)": interrupt_reply,
            "interrupt: sleeping cell ended (s)": cell_ended,
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


GROWTH_CELLS = {
    # kernel name: (the i-th declaration, a trivial cell)
    "drydock": (lambda i: "int v%d = %d;" % (i, i), "1 + 1"),
    "python3": (lambda i: "v%d = %d" % (i, i), "1 + 1"),
}
STEP = 500


def growth(name, cells):
    """Rows of (phase, cells run, RSS MiB, mean ms a cell over the last STEP cells)."""
    declaration, trivial = GROWTH_CELLS[name]
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    rows = []
    try:
        kc.wait_for_ready(timeout=120)
        pid = km.provisioner.process.pid
        rows.append(("start", 0, tree_rss_mib(pid), float("nan")))
        for phase, code_of in (("declarations", declaration), ("1 + 1", lambda i: trivial)):
            spent = 0.0
            for i in range(1, cells + 1):
                spent += run_cell(kc, code_of(i))[0]
                if i % STEP == 0:
                    rows.append((phase, i, tree_rss_mib(pid), spent * 1000 / STEP))
                    print("%s: %s %d cells, %.0f MiB, %.1f ms/cell" % ((name,) + rows[-1]), file=sys.stderr, flush=True)
                    spent = 0.0
        time.sleep(15)
        rows.append(("idle 15 s", cells, tree_rss_mib(pid), float("nan")))
        return rows
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def print_growth(kernels, cells):
    results = {name: growth(name, cells) for name in kernels}
    names = list(results)
    print("| phase | cells | " + " | ".join("%s RSS (MiB) | %s ms/cell" % (n, n) for n in names) + " |")
    print("|" + " --- |" * (2 + 2 * len(names)))
    for row in range(len(results[names[0]])):
        phase, count = results[names[0]][row][:2]
        values = []
        for name in names:
            _, _, rss, ms = results[name][row]
            values += ["%.0f" % rss, "" if ms != ms else "%.1f" % ms]
        print("| %s | %d | %s |" % (phase, count, " | ".join(values)))


TARGETS = {
    "startup to kernel_info_reply (s)": "<= ipykernel",
    "trivial cell p50 (ms)": "<= 1.5x ipykernel",
    "100,000 lines: time to idle (s)": "<= ipykernel",
    "100,000 lines: stream messages": "<= 50",
    "resident memory of process tree (MiB)": "<= 2x ipykernel",
    "interrupt: reply on control (s)": "<= 0.2",
}


def main():
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets ipykernel's debugger warning
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="trivial cells to time (default 200)")
    parser.add_argument("--kernels", nargs="+", default=["drydock", "python3"])
    parser.add_argument("--growth", type=int, metavar="N",
                        help="instead: N declarations then N trivial cells, memory every %d cells" % STEP)
    args = parser.parse_args()
    if args.growth:
        print_growth(args.kernels, args.growth)
        return

    results = {name: measure(name, args.rounds) for name in args.kernels}
    names = list(results)
    header = "| measure | " + " | ".join(names) + " | target |"
    print(header)
    print("|" + " --- |" * (len(names) + 2))
    for key in results[names[0]]:
        cells = []
        for name in names:
            value = results[name][key]
            cells.append(f"{value:.0f}" if value >= 100 else f"{value:.3g}")
        print(f"| {key} | " + " | ".join(cells) + f" | {TARGETS.get(key, '')} |")


if __name__ == "__main__":
    main()
