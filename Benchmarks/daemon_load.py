#!/usr/bin/env python3
"""The daemon under a qualification run, for `make bench`: runs.status latency with 100 watchers subscribed, and
the daemon's resident memory along the run.

    daemon_load.py SENSORQUALD [PLAN] [--json]

Starts `SENSORQUALD --simulate` in a new temporary folder (ready at READY=1 on NOTIFY_SOCKET), starts PLAN (default
rig-full: every part of the built-in simulated rig) over the control socket, subscribes 100 other connections with
`watch` (each drains its notifications), and from one more connection sends `runs.status` every 25 ms (under the
50 requests/s per-connection limit) until the run ends, timing each from the write of the request to the read of its
answer. VmRSS of the daemon is read from /proc when the run's time first passes 60 s and 3600 s (the simulated clock
runs as fast as the daemon computes). Prints the figures against their targets (p99 < 5 ms; RSS growth < 1 MiB),
or with --json one JSON object.
"""
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WATCHERS = 100
INTERVAL_S = 0.025


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class Connection:
    """One JSON-RPC connection: newline-delimited messages, the server's `hello` first (docs/protocol.md §7)."""

    def __init__(self, reader, writer):
        self.reader, self.writer, self.next_id = reader, writer, 0

    @classmethod
    async def open(cls, path: str) -> "Connection":
        reader, writer = await asyncio.open_unix_connection(path, limit=1 << 20)
        connection = cls(reader, writer)
        hello = json.loads(await reader.readline())
        assert hello.get("method") == "hello", hello
        return connection

    async def call(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.writer.write((json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                                       "params": params}) + "\n").encode())
        await self.writer.drain()
        while True:
            message = json.loads(await self.reader.readline())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]


async def watcher(path: str, run: str, finished: list) -> None:
    connection = await Connection.open(path)
    await connection.call("watch", {"run": run})
    while True:
        line = await connection.reader.readline()
        if not line:
            return
        message = json.loads(line)
        if message.get("method") == "run.finished":
            finished.append(1)
            return


async def load(path: str, pid: int, plan: str) -> dict:
    control = await Connection.open(path)
    started = await control.call("runs.start", {"plan": plan})
    run = started["id"]
    finished: list = []
    watchers = [asyncio.create_task(watcher(path, run, finished)) for _ in range(WATCHERS)]
    prober = await Connection.open(path)
    latencies, rss, wall_start = [], {}, time.perf_counter()
    status = started
    while True:
        sent = time.perf_counter()
        status = await prober.call("runs.status", {"run": run})
        latencies.append((time.perf_counter() - sent) * 1e3)
        elapsed = status.get("elapsed_s", 0)
        for mark in (60, 3600):
            if elapsed >= mark and mark not in rss:
                rss[mark] = rss_kib(pid)
        if status["state"] in ("done", "failed", "cancelled"):
            break
        await asyncio.sleep(max(0.0, INTERVAL_S - (time.perf_counter() - sent)))
    wall = time.perf_counter() - wall_start
    await asyncio.wait_for(asyncio.gather(*watchers), timeout=60)
    latencies.sort()
    return {"plan": plan, "state": status["state"], "run_s": status.get("elapsed_s"), "planned_s": status.get("planned_s"),
            "wall_s": wall, "watchers": WATCHERS, "watchers_finished": len(finished), "requests": len(latencies),
            "p50_ms": statistics.median(latencies), "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
            "max_ms": latencies[-1], "rss_kib_at_60s": rss.get(60), "rss_kib_at_3600s": rss.get(3600)}


def report(r: dict) -> str:
    lines = [f"runs.status during {r['plan']} ({r['run_s']:.0f} s of run time in {r['wall_s']:.1f} s, {r['watchers']} "
             f"watchers, {r['watchers_finished']} got run.finished): {r['requests']} requests, p50 {r['p50_ms']:.2f} ms, "
             f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.1f} ms; target p99 < 5 ms "
             f"{'met' if r['p99_ms'] < 5 else 'NOT MET'}"]
    early, late = r["rss_kib_at_60s"], r["rss_kib_at_3600s"]
    if early and late:
        lines.append(f"daemon RSS at 60 s of run time {early / 1024:.1f} MiB, at 3600 s {late / 1024:.1f} MiB: growth "
                     f"{(late - early) / 1024:.2f} MiB; target < 1 MiB {'met' if late - early < 1024 else 'NOT MET'}")
    else:
        lines.append(f"daemon RSS: the run ended at {r['run_s']:.0f} s of run time, before 3600 s: not measured")
    return "\n".join(lines)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--json"]
    daemon = arguments[0]
    plan = arguments[1] if len(arguments) > 1 else "rig-full"
    with tempfile.TemporaryDirectory(prefix="sq-load-") as folder:
        notify_path, control_path = os.path.join(folder, "notify"), os.path.join(folder, "sensorqual.sock")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(60)
        process = subprocess.Popen([daemon, "--simulate", "--state-dir", os.path.join(folder, "state"),
                                    "--socket", control_path, "--log-level", "warning"],
                                   env=dict(os.environ, NOTIFY_SOCKET=notify_path),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while "READY=1" not in notify.recv(4096).decode().split("\n"):
                pass
            # Read the notifications on, as systemd does.
            notify.settimeout(None)
            threading.Thread(target=lambda: [notify.recv(4096) for _ in iter(int, 1)], daemon=True).start()
            result = asyncio.run(load(control_path, process.pid, plan))
            print(json.dumps(result) if "--json" in sys.argv else report(result))
        finally:
            process.terminate()
            process.wait(timeout=60)


if __name__ == "__main__":
    main()
