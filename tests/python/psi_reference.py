"""Reference values of psi(y; lambda) = phi2'/phi2 for Brunel's linear stability analysis.

phi2(y) = exp(-y^2/2) * D_{-lambda}(-sqrt(2) y) (parabolic cylinder function, mpmath's pcfd,
which takes a complex order). With D_nu'(z) = z/2 D_nu(z) - D_{nu+1}(z) the log-derivative is
psi = sqrt(2) * D_{1-lambda}(-sqrt(2) y) / D_{-lambda}(-sqrt(2) y)   (psi = -2y at lambda = 0).
Evaluated at 40 significant digits; prints a JSON list of {y, lam: [re, im], psi: [re, im]}.
Used by tests/stability_vs_mpmath.rs.
"""
import json

import mpmath as mp

mp.mp.dps = 40

# (y, lambda): lambda in units of 1/tau (tau = 20 ms): 29 Hz -> 3.6i, 190 Hz -> 23.9i,
# 660 Hz -> 83i; y spans the reset (about -1) to threshold (about +1..2) and below.
POINTS = [
    (-3.0, (0.5, 3.6)),
    (-0.8, (0.16, 3.64)),
    (1.2, (0.16, 3.64)),
    (-0.6, (1.03, 23.9)),
    (0.9, (1.03, 23.9)),
    (2.0, (-2.7, 15.6)),
    (-1.5, (4.6, 83.0)),
    (0.3, (-1.0, 160.0)),
    (1.0, (2.0, 0.0)),
    (0.0, (0.0, 0.0)),
]


def psi(y, lam):
    z = -mp.sqrt(2) * y
    return mp.sqrt(2) * mp.pcfd(1 - lam, z) / mp.pcfd(-lam, z)


out = []
for y, (lr, li) in POINTS:
    lam = mp.mpc(lr, li)
    p = psi(mp.mpf(y), lam)
    out.append({"y": y, "lam": [lr, li], "psi": [float(p.real), float(p.imag)]})
print(json.dumps(out))
