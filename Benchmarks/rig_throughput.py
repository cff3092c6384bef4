#!/usr/bin/env python3
"""Ingestion and analysis throughput of the daemon's pipeline on the representative rig, for `make bench`.

    rig_throughput.py SENSORQUALD [--class CLASS]... [--json]

Starts `SENSORQUALD --simulate --simulated-lot representative` (16 BMP390 at 200 Hz, 8 magnetometers at 1 kHz, 8
microphones at 48 kHz/24-bit, 8 gas sensors at 1 Hz; Benchmarks/plans/) in a new temporary folder and runs one plan
per sensor class, one after the other, on the simulated rig's virtual clock: nothing is paced, each run goes as fast
as the daemon computes. Around each run the daemon's CPU time is read from /proc (user + system, every thread): the
real-time factor of a class is its run-clock seconds over the CPU seconds it cost, so it is what one core sustains
whatever the number of threads. Samples are the conversions the report counts (`integrity.samples`: a pressure or
gas reading, a three-axis field reading, a microphone's audio sample). The CPU time includes the simulator, which
runs inside the daemon (register models on the bus threads, the chamber's audio renderer on a thread of its own,
"chamber feed"): the renderer's share is printed separately and the figures are given with and without it.

The whole rig runs its four classes at once, so its real-time factor on one core is 1 / Σ 1/RTF_class: the CPU
seconds each class costs per second of rig time, added.
"""
import json
import os
import sys

from representative_rig import Connection, representative_rig

PLANS = [("pressure", "bench-pressure"), ("magnetic", "bench-mag"), ("acoustic", "bench-mic"), ("gas", "bench-gas")]
TICKS = os.sysconf("SC_CLK_TCK")
FEED_THREAD = "chamber feed"
TARGET_RTF = 50


def thread_cpu(pid: int) -> dict:
    """CPU seconds (user + system) by thread name, from /proc/PID/task/*/stat."""
    totals: dict = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                text = stat.read()
        except FileNotFoundError:
            continue        # the thread ended meanwhile: its time is in the process's own counters
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return totals


def process_cpu(pid: int) -> float:
    """CPU seconds of the whole process, ended threads included."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def measure(control: Connection, pid: int, sensor_class: str, plan: str) -> dict:
    before_threads, before = thread_cpu(pid), process_cpu(pid)
    run = control.call("runs.start", {"plan": plan})["id"]
    watcher = Connection(control.socket.getpeername())
    watcher.call("watch", {"run": run})
    status = control.call("runs.status", {"run": run})
    if status["state"] not in ("done", "failed", "cancelled"):
        status = watcher.wait_finished(run)
    after_threads, after = thread_cpu(pid), process_cpu(pid)
    if status["state"] != "done":
        raise RuntimeError(f"{plan}: the run ended {status['state']}: {status.get('error')}")
    report = control.call("reports.get", {"run": run})["report"]
    duts = report["duts"]
    samples = sum(dut["integrity"]["samples"] for dut in duts)
    cpu = after - before
    feed = after_threads.get(FEED_THREAD, 0.0) - before_threads.get(FEED_THREAD, 0.0)
    run_s = report["run"]["run_seconds"]
    return {"class": sensor_class, "plan": plan, "duts": len(duts), "run_s": run_s, "samples": samples,
            "cpu_s": cpu, "simulator_feed_cpu_s": feed,
            "samples_per_cpu_s": samples / cpu, "rtf": run_s / cpu,
            "rtf_without_feed": run_s / (cpu - feed) if cpu > feed else None}


def report(rows: list) -> str:
    lines = [f"{'class':<9} {'DUTs':>4} {'run s':>7} {'samples':>11} {'CPU s':>7} {'samples/s/core':>15} {'RTF':>7} "
             f"{'RTF w/o audio renderer':>23}"]
    for r in rows:
        without = f"{r['rtf_without_feed']:.0f}" if r["simulator_feed_cpu_s"] > 0 else "–"
        lines.append(f"{r['class']:<9} {r['duts']:>4} {r['run_s']:>7.0f} {r['samples']:>11} {r['cpu_s']:>7.2f} "
                     f"{r['samples_per_cpu_s']:>15.3e} {r['rtf']:>7.0f} {without:>23}")
    if len(rows) < len(PLANS):
        return "\n".join(lines)
    rig = 1 / sum(1 / r["rtf"] for r in rows)
    rig_without = 1 / sum(1 / (r["rtf_without_feed"] or r["rtf"]) for r in rows)
    lines.append(f"representative rig (16 pressure @200 Hz, 8 magnetometers @1 kHz, 8 microphones @48 kHz/24-bit, 8 gas "
                 f"@1 Hz) on one core: real-time factor {rig:.0f} with the simulator's audio renderer, {rig_without:.0f} "
                 f"without; target ≥ {TARGET_RTF} {'met' if rig >= TARGET_RTF else 'NOT MET'}")
    return "\n".join(lines)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--json"]
    daemon = arguments[0]
    # --class CLASS: only that class's run (to profile one), repeatable.
    only = [arguments[i + 1] for i, a in enumerate(arguments) if a == "--class"]
    with representative_rig(daemon) as (process, control_path):
        control = Connection(control_path)
        rows = [measure(control, process.pid, sensor_class, plan) for sensor_class, plan in PLANS
                if not only or sensor_class in only]
        print(json.dumps(rows) if "--json" in sys.argv else report(rows))


if __name__ == "__main__":
    main()
