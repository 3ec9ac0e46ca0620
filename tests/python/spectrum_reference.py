"""Reference values of the finite-size population spectrum of Brunel's model A, computed
independently of brunel's Riccati march: the stationary rate by mpmath quadrature of the Siegert
formula, the single-neuron rate responses and spike-train spectrum from Lindner's closed forms
with parabolic cylinder functions D_nu of complex order (mpmath pcfd):

  z_T = (mu - theta)/sqrt(D), z_R = (mu - V_r)/sqrt(D), D = sigma^2/2 (mV^2),
  Delta = (V_r^2 - theta^2 + 2 mu (theta - V_r))/(4 D), x = i omega tau, t_r = tau_rp/tau,
  den  = D_x(z_T) - e^Delta e^{x t_r} D_x(z_R),
  chi_mu = r0/sqrt(D) * x/(x-1) * [D_{x-1}(z_T) - e^Delta D_{x-1}(z_R)] / den   (Lindner &
           Schimansky-Geier 2001; per mV, time in units of tau),
  chi_D  = r0/D * x(x-1)/(2-x) * [D_{x-2}(z_T) - e^Delta D_{x-2}(z_R)] / den     (per mV^2 of D),
  S0/nu0 = [|D_x(z_T)|^2 - e^{2 Delta} |D_x(z_R)|^2] / |den|^2                    (Lindner,
           Schimansky-Geier & Longtin 2002),

and the two-population formula of finite-size-spectrum.md section 1.5 in Lindner's sign
(delay e^{+i omega D}; every quantity is the complex conjugate of the Laplace form, so the
power is the same):

  K = J C_E chi_mu, K' = J^2 C_E chi_D / 2, L = e^{i omega D}((1 - g gam) K + (1 + g^2 gam) K'),
  N S_A / nu0 = S0/nu0 * [1 - |L|^2 + (1 + gam)(|K + K'|^2 + gam |g^2 K' - g K|^2)] / |1 - L|^2.

Prints a JSON list of {g, eta, nu0_hz, spectrum: [[f_hz, N S_A/nu0], ...]}. Used by
tests/spectrum_vs_mpmath.rs.
"""
import json

import mpmath as mp

mp.mp.dps = 20

# Model A (Brunel 2000): C_E = 1000, gamma = 0.25, J = 0.1 mV, tau = 20 ms, theta = 20 mV,
# V_r = 10 mV, tau_rp = 2 ms, D = 1.5 ms, nu_thr = theta/(J C_E tau) = 10 Hz.
C_E, GAM, J, TAU, THETA, V_R, TAU_RP, DELAY = 1000, mp.mpf("0.25"), mp.mpf("0.1"), mp.mpf("0.02"), 20, 10, mp.mpf("0.002"), mp.mpf("0.0015")
NU_THR = THETA / (J * C_E * TAU)

# (g, eta, bracket of the stationary rate in Hz, frequencies in Hz): C of Fig. 8 and a
# fast-firing point near the fast line; frequencies span the slow part, each ripple peak
# (124 and 149 Hz) and the first k/D peak region.
POINTS = [
    (5, 2, (20, 60), [7.5, 49.5, 100.0, 123.5, 150.0, 300.0, 500.0, 711.0]),
    (mp.mpf("4.5"), 3, (60, 130), [12.0, 80.0, 148.5, 200.0, 400.0, 690.0]),
]


def mu_sigma(g, eta, nu):
    nu_ext = eta * NU_THR
    mu = C_E * J * TAU * (nu_ext + nu * (1 - GAM * g))
    var = J * J * C_E * TAU * (nu_ext + nu * (1 + GAM * g * g))
    return mu, mp.sqrt(var)


def siegert(g, eta, nu):
    mu, sigma = mu_sigma(g, eta, nu)
    y_th, y_r = (THETA - mu) / sigma, (V_R - mu) / sigma
    integral = mp.quad(lambda u: mp.exp(u * u) * mp.erfc(-u), [y_r, y_th])
    return 1 / (TAU_RP + TAU * mp.sqrt(mp.pi) * integral)


def spectrum(g, eta, nu0, f):
    mu, sigma = mu_sigma(g, eta, nu0)
    dl = sigma ** 2 / 2
    z_t, z_r = (mu - THETA) / mp.sqrt(dl), (mu - V_R) / mp.sqrt(dl)
    delta = (V_R ** 2 - THETA ** 2 + 2 * mu * (THETA - V_R)) / (4 * dl)
    r0 = nu0 * TAU
    x = mp.mpc(0, 2 * mp.pi * f * TAU)
    ed = mp.exp(delta)
    d = lambda nu, z: mp.pcfd(nu, z)
    den = d(x, z_t) - ed * mp.exp(x * TAU_RP / TAU) * d(x, z_r)
    chi_mu = r0 / mp.sqrt(dl) * x / (x - 1) * (d(x - 1, z_t) - ed * d(x - 1, z_r)) / den
    chi_d = r0 / dl * x * (x - 1) / (2 - x) * (d(x - 2, z_t) - ed * d(x - 2, z_r)) / den
    s0 = (abs(d(x, z_t)) ** 2 - ed ** 2 * abs(d(x, z_r)) ** 2) / abs(den) ** 2
    k, kp = J * C_E * chi_mu, J * J * C_E * chi_d / 2
    loop = mp.exp(mp.mpc(0, 2 * mp.pi * f * DELAY)) * ((1 - g * GAM) * k + (1 + g * g * GAM) * kp)
    shared = abs(k + kp) ** 2 + GAM * abs(g * g * kp - g * k) ** 2
    return s0 * (1 - abs(loop) ** 2 + (1 + GAM) * shared) / abs(1 - loop) ** 2


out = []
for g, eta, (lo, hi), freqs in POINTS:
    nu0 = mp.findroot(lambda nu: siegert(g, eta, nu) - nu, (lo, hi), solver="anderson")
    out.append({
        "g": float(g),
        "eta": float(eta),
        "nu0_hz": float(nu0),
        "spectrum": [[f, float(spectrum(g, eta, nu0, f))] for f in freqs],
    })
print(json.dumps(out))
