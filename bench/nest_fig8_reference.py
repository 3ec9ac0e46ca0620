"""Runs NEST 3.10 (bench/nest_brunel.py) at Brunel's four Fig. 8 points and the quiescent
point (5, 0.8), seeds 1-3, full scale, 1200 ms with 200 ms warm-up, and writes the per-seed
rates, CVs and spectral peaks with their mean and sd to a JSON reference file.

usage: VENV=$(bash bench/setup-venv.sh)
       $VENV/bin/python bench/nest_fig8_reference.py --json tests/reference/nest_fig8.json

Takes about 15 minutes of one core (the SR point delivers ~5 G events per second).
"""
import argparse
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

POINTS = {"A_SR": (3.0, 2.0), "B_SI_fast": (6.0, 4.0), "C_AI": (5.0, 2.0), "D_SI_slow": (4.5, 0.9), "quiescent": (5.0, 0.8)}

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--json", required=True)
ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
ap.add_argument("--points", nargs="+", default=list(POINTS))
args = ap.parse_args()

here = Path(__file__).parent
out = {"command": " ".join([Path(sys.executable).name] + sys.argv), "date": datetime.date.today().isoformat(), "points": {}}
with tempfile.TemporaryDirectory() as tmp:
    for name in args.points:
        g, eta = POINTS[name]
        runs = []
        for seed in args.seeds:
            js = Path(tmp) / f"{name}_{seed}.json"
            subprocess.run([sys.executable, str(here / "nest_brunel.py"), "--g", str(g), "--eta", str(eta),
                            "--seed", str(seed), "--json", str(js)], check=True, stdout=subprocess.DEVNULL)
            r = json.loads(js.read_text())
            a = r["populations"]["all"]
            runs.append({"seed": seed, "rate_hz": a["rate_hz"], "cv_isi": a["cv_isi"],
                         "rate_e_hz": r["populations"]["E"]["rate_hz"], "nest_version": r["nest_version"]})
            print(f"{name} seed {seed}: {a['rate_hz']:.3f} Hz, CV {a['cv_isi']}", file=sys.stderr)
        rates = [x["rate_hz"] for x in runs]
        # A silent network has no CV (None, or NaN): leave it out.
        cvs = [x["cv_isi"] for x in runs if x["cv_isi"] is not None and x["cv_isi"] == x["cv_isi"]]
        out["points"][name] = {
            "g": g, "eta": eta, "runs": runs,
            "rate_hz": {"mean": statistics.mean(rates), "sd": statistics.stdev(rates) if len(rates) > 1 else 0.0},
            "cv_isi": {"mean": statistics.mean(cvs) if cvs else None, "sd": statistics.stdev(cvs) if len(cvs) > 1 else None},
        }
        # Written after every point, so a failure later keeps what is done.
        Path(args.json).write_text(json.dumps(out, indent=1))
print(json.dumps({k: v["rate_hz"] for k, v in out["points"].items()}, indent=1))
