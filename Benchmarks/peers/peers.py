"""The peers of sensorqual-bench, on the same float64 file: numpy (np.mean + np.var), allantools.oadev at
octave taus, scipy.signal.welch with nperseg 4096. Prints one JSON object like sensorqual-bench measure.
Timing is best of 3 over the loaded array; the peak RSS is read after one run (allantools and scipy need the
whole array in memory, which is part of what they cost)."""
import json
import sys
import time

import numpy as np


def peak_rss():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def main():
    kind, path = sys.argv[1], sys.argv[2]
    x = np.fromfile(path, dtype="<f8")
    if kind == "moments":
        def work():
            return float(np.mean(x)) + float(np.var(x, ddof=1))
        peer = f"numpy {np.__version__} mean+var"
    elif kind == "oadev":
        import allantools
        def work():
            taus, devs, errors, ns = allantools.oadev(x, rate=1.0, data_type="freq", taus="octave")
            return float(np.sum(devs))
        peer = f"allantools {allantools.__version__} oadev octave"
    elif kind == "welch":
        import scipy
        from scipy import signal
        def work():
            f, p = signal.welch(x, fs=1.0, nperseg=4096)
            return float(np.sum(p))
        peer = f"scipy {scipy.__version__} welch nperseg 4096"
    else:
        sys.exit(f"unknown kind {kind}")
    checksum = work()
    peak = peak_rss()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        checksum += work()
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"side": peer, "kind": kind, "n": int(x.size), "seconds": best,
                      "samples_per_s": x.size / best, "peak_rss_bytes": peak, "checksum": checksum}))


if __name__ == "__main__":
    main()
