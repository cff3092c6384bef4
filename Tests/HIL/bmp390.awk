# bmp390.awk: the HIL test's own BMP390 compensation, written from the formulas of shared/reference/sensors.md §2.1
# (Bosch float path in Double) and independent of the daemon's Swift driver. busybox awk computes in Double.
#
#   awk -f bmp390.awk -v nvm="23 6B … C4" -v up=7184279 -v ut=8771699
#       prints "T_degC P_Pa" for one raw pair (the self-check against sensors.md vector V2)
#   awk -f bmp390.awk -v nvm="…" -v edges=FILE S1.csv
#       compares the daemon's raw capture (CSV export) with FILE, one line "k uP uT" per data-ready edge whose
#       reading the daemon took; prints a row per reading and exits 1 on any mismatch or a count that differs.
#
# Tolerances: pressure 1e-3 Pa (sensors.md V2: Bosch's single-precision pow moves P by 3.7e-5 Pa), temperature
# 1e-6 °C; the raw codes must be equal.

function hexbyte(s,    v, i, c) {
    s = tolower(s); sub(/^0x/, "", s); v = 0
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); v = v * 16 + c - 1 }
    return v
}
# 2^n by doubling: Debian's busybox is built without awk's math support (no `^`, no exp/log).
function pow2(n,    v) { v = 1; if (n >= 0) while (n-- > 0) v *= 2; else while (n++ < 0) v /= 2; return v }
function u16(lo, hi) { return r[lo] + 256 * r[hi] }
function s16(lo, hi,    v) { v = u16(lo, hi); return v >= 32768 ? v - 65536 : v }
function s8(i) { return r[i] >= 128 ? r[i] - 256 : r[i] }

# NVM 0x31–0x45 → the Bosch float coefficients (sensors.md §2.1, calibration parsing table).
function coefficients(    n, b, i) {
    n = split(nvm, b, /[ ,]+/)
    if (n != 21) { print "bmp390.awk: nvm needs 21 bytes, got " n > "/dev/stderr"; exit 2 }
    for (i = 1; i <= 21; i++) r[i - 1] = hexbyte(b[i])
    T1 = u16(0, 1) * pow2(8);            T2 = u16(2, 3) / pow2(30);         T3 = s8(4) / pow2(48)
    P1 = (s16(5, 6) - pow2(14)) / pow2(20);  P2 = (s16(7, 8) - pow2(14)) / pow2(29)
    P3 = s8(9) / pow2(32);               P4 = s8(10) / pow2(37);            P5 = u16(11, 12) * pow2(3)
    P6 = u16(13, 14) / pow2(6);          P7 = s8(15) / pow2(8);             P8 = s8(16) / pow2(15)
    P9 = s16(17, 18) / pow2(48);         P10 = s8(19) / pow2(48);           P11 = s8(20) / pow2(65)
}
function temperature(uT,    d) { d = uT - T1; return d * T2 + d * d * T3 }
function pressure(uP, t) {
    return P5 + P6 * t + P7 * t * t + P8 * t * t * t + uP * (P1 + P2 * t + P3 * t * t + P4 * t * t * t) \
        + uP * uP * (P9 + P10 * t) + uP * uP * uP * P11
}
function abs(x) { return x < 0 ? -x : x }

BEGIN {
    FS = ","
    coefficients()
    if (up != "") { t = temperature(ut); printf "%.9f %.8f\n", t, pressure(up, t); exit 0 }
    count = 0
    while ((getline line < edges) > 0) { split(line, f, " "); count++; expectP[count] = f[2]; expectT[count] = f[3] }
    printf "%4s %9s %9s %15s %15s %10s %14s %10s\n", "edge", "uP", "uT", "P daemon/Pa", "P expected/Pa", "dP/Pa", "T daemon/°C", "dT/°C"
}
NR == 1 { next }        # the CSV header
{
    row++
    if (row > count) { printf "reading %d has no data-ready edge (raw %s, %s)\n", row, $5, $6; bad++; next }
    t = temperature(expectT[row]); p = pressure(expectP[row], t)
    dp = $3 - p; dt = $4 - t
    printf "%4d %9d %9d %15.6f %15.6f %10.2e %14.9f %10.2e\n", row, $5, $6, $3, p, dp, $4, dt
    if ($5 + 0 != expectP[row] || $6 + 0 != expectT[row]) { printf "  raw codes differ from the registers written\n"; bad++ }
    if (abs(dp) > 1e-3 || abs(dt) > 1e-6) { printf "  outside 1e-3 Pa / 1e-6 °C\n"; bad++ }
    if (abs(dp) > worstP) worstP = abs(dp)
    if (abs(dt) > worstT) worstT = abs(dt)
}
END {
    if (up != "") exit 0
    if (row < count) { printf "%d data-ready edges but %d readings\n", count, row; bad++ }
    printf "readings %d, edges %d, max |dP| %.2e Pa, max |dT| %.2e °C\n", row, count, worstP, worstT
    exit bad > 0
}
