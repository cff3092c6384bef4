"""The peers of sensorqual-bench, on the same float64 file: numpy (np.mean + np.var), allantools.oadev at
octave taus, scipy.signal.welch with nperseg 4096, and for `acoustic` the microphone chain in scipy: Hann and
4-term Blackman-Harris Welch PSDs (nperseg 16384, 50 % overlap, mean removed), the A-weighted noise over
20 Hz–20 kHz (acoustic.md §1.7–1.8) and the THD of the 1 kHz tone from main-lobe sums (±4 bins, H2–H6, §1.4).
Prints one JSON object like sensorqual-bench measure.
Timing is the best run over the loaded array, of at least 3 and of as many as fit in 1 s of timed work, at most 50
(sensorqual-bench's rule too); the peak RSS is read after one run (allantools and scipy need the
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
    elif kind == "acoustic":
        import scipy
        from scipy import signal
        fs, nperseg = 48_000.0, 16_384
        # IEC 61672-1 poles (acoustic.md §1.7), normalised so that W(1 kHz) = 1
        f1, f2, f3, f4 = 20.598997057618316, 107.65264864304629, 737.8622307362901, 12194.217147998012

        def r_a(f):
            f2_ = f * f
            return f4**2 * f2_**2 / ((f2_ + f1**2) * np.sqrt(f2_ + f2**2) * np.sqrt(f2_ + f3**2) * (f2_ + f4**2))

        figures = {}

        def work():
            kwargs = dict(fs=fs, nperseg=nperseg, noverlap=nperseg // 2, detrend="constant", scaling="density")
            f, hann = signal.welch(x, window="hann", **kwargs)
            _, bh = signal.welch(x, window="blackmanharris", **kwargs)
            clipped, peak = int(np.count_nonzero(np.abs(x) >= 1.0)), float(np.max(np.abs(x)))
            df = f[1] - f[0]
            band = (f >= 20) & (f <= 20_000)
            noise = np.sum(hann[band] * (r_a(f[band]) / r_a(1000.0)) ** 2) * df
            k0 = int(np.argmax(bh[int(900 / df):int(1100 / df)])) + int(900 / df)
            lobe = lambda k: np.sum(bh[k - 4:k + 5]) * df
            fundamental = lobe(k0)
            harmonics = sum(lobe(int(round(k0 * h))) for h in range(2, 7) if k0 * h + 4 < f.size)
            figures["a_weighted_dbfs"] = 10 * np.log10(2 * noise)
            figures["thd_percent"] = 100 * np.sqrt(harmonics / fundamental)
            return figures["a_weighted_dbfs"] + figures["thd_percent"] + clipped + peak
        peer = f"scipy {scipy.__version__} welch×2 + A + THD"
    else:
        sys.exit(f"unknown kind {kind}")
    checksum = work()
    peak = peak_rss()
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (spent < 1 and runs < 50):
        start = time.perf_counter()
        checksum += work()
        seconds = time.perf_counter() - start
        best, spent, runs = min(best, seconds), spent + seconds, runs + 1
    result = {"side": peer, "kind": kind, "n": int(x.size), "seconds": best,
              "samples_per_s": x.size / best, "peak_rss_bytes": peak, "checksum": checksum}
    if kind == "acoustic":
        result.update({key: float(value) for key, value in figures.items()})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
