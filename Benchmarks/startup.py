#!/usr/bin/env python3
"""Start-up time of sensorquald: from the process's start to its READY=1 on NOTIFY_SOCKET, the moment systemd
considers the service up (the simulated rig probed, the control socket listening). For `make bench`.

    startup.py SENSORQUALD [RUNS] [--json]

Each run starts `sensorquald --simulate` in a new temporary folder with NOTIFY_SOCKET pointing at a datagram socket
this script reads, times the READY=1 datagram against the moment before fork, then stops the daemon with SIGTERM.
Prints the median and the maximum against the target (< 300 ms), or with --json one JSON object with every run's
time, the median and the maximum, in milliseconds.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def one_start(daemon: str) -> float:
    with tempfile.TemporaryDirectory(prefix="sq-startup-") as folder:
        notify_path = os.path.join(folder, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        started = time.perf_counter()
        process = subprocess.Popen(
            [daemon, "--simulate", "--state-dir", os.path.join(folder, "state"),
             "--socket", os.path.join(folder, "sensorqual.sock"), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                message = notify.recv(4096).decode()
                if "READY=1" in message.split("\n"):
                    return (time.perf_counter() - started) * 1e3
        finally:
            process.terminate()
            process.wait(timeout=30)
            notify.close()


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--json"]
    daemon = arguments[0]
    runs = int(arguments[1]) if len(arguments) > 1 else 10
    one_start(daemon)  # warm the page cache: the first start reads the binary from disk
    times = [one_start(daemon) for _ in range(runs)]
    median, worst = statistics.median(times), max(times)
    if "--json" in sys.argv:
        print(json.dumps({"runs_ms": [round(t, 1) for t in times], "median_ms": median, "max_ms": worst}))
    else:
        print(f"start-up to READY=1 (sensorquald --simulate, {runs} starts): median {median:.0f} ms, max {worst:.0f} ms; "
              f"target < 300 ms {'met' if worst < 300 else 'NOT MET'}")


if __name__ == "__main__":
    main()
