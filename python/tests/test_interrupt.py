"""KeyboardInterrupt (SIGINT) in a child Python process, the resume, and a folder in use."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import polars as pl
import pytest

import brunel
from conftest import run_cli

CHILD = textwrap.dedent("""
    import json, sys
    import brunel
    def progress(done, total):
        print("progress", done, total, flush=True)
    try:
        brunel.sweep(sys.argv[1], out=sys.argv[2], threads=1, progress=progress,
                     plots=sys.argv[3] == "plots")
        print(json.dumps({"finished": True}), flush=True)
    except brunel.Interrupted as e:
        assert isinstance(e, KeyboardInterrupt)
        print(json.dumps({"done": e.done, "total": e.total, "resume": e.resume, "message": str(e)}), flush=True)
""")


def frame(table):
    df = pl.DataFrame(table)
    return df.drop(list(brunel.TIMING_COLUMNS)).sort("point", "replicate")


def test_sigint_mid_sweep_then_resume_gives_the_cli_rows(cli, many, tmp_path):
    out = tmp_path / "py"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(many), str(out), "no-plots"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Wait for the second finished run, then interrupt as Ctrl-C would.
    for line in child.stdout:
        if line.startswith("progress") and int(line.split()[1]) >= 2:
            break
    child.send_signal(signal.SIGINT)
    rest, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    report = json.loads(rest.strip().splitlines()[-1])
    assert "done" in report, report
    assert 2 <= report["done"] < report["total"] == 24
    assert "resume with: brunel.sweep(" in report["message"]
    # The committed runs are in the folder; the same call resumes to the CLI's rows.
    assert len(brunel.load(out).rows) == report["done"]
    resumed = brunel.sweep(many, out=out, threads=2, progress=False, plots=False)
    assert resumed.report["done_before"] == report["done"]
    run_cli(cli, "sweep", many, "--out", tmp_path / "cli", "--threads", 2, "--quiet", "--no-plots")
    assert frame(resumed.rows).equals(frame(brunel.load(tmp_path / "cli").rows), null_equal=True)


def test_no_sigint_handler_is_installed():
    import signal as s

    before = s.getsignal(s.SIGINT)
    brunel.simulate(duration_ms=300, N_E=400, N_I=100, epsilon=0.2)
    assert s.getsignal(s.SIGINT) is before is s.default_int_handler


def wait_for_lock(folder, proc, timeout_s=60):
    locks = folder / "locks"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if locks.is_dir() and any(locks.glob("*.lock")) and (folder / "definition.toml").exists():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail("the CLI sweep never took its lock")


def test_python_and_cli_on_one_folder_one_is_refused_naming_the_other(cli, many, tmp_path):
    out = tmp_path / "busy"
    proc = subprocess.Popen([str(cli), "sweep", str(many), "--out", str(out), "--threads", "1", "--no-plots", "--quiet",
                             "--flush-every-s", "0.05"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_lock(out, proc)
        with pytest.raises(brunel.ResultsError, match=f"pid {proc.pid}"):
            brunel.sweep(many, out=out, threads=1, progress=False, plots=False)
        # Reading while it runs works, read-only (no lock, no quarantine), and sees only
        # committed runs, each as the folder finally holds it.
        seen, frames = [], []
        while proc.poll() is None and len(seen) < 20:
            locks = {p.name for p in (out / "locks").iterdir()}
            rows = brunel.load(out).rows
            # The CLI may release its lock meanwhile; load never adds one.
            assert {p.name for p in (out / "locks").iterdir()} <= locks, "load took a lock"
            seen.append(len(rows))
            if len(rows):
                frames.append(frame(rows))
            time.sleep(0.1)
        assert seen == sorted(seen) and all(0 <= n <= 24 for n in seen)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert frames, "no committed run was read while the CLI ran"
    assert not (out / "quarantine").exists()
    final = frame(brunel.load(out).rows)
    for f in frames:
        assert f.equals(final.join(f.select("point", "replicate"), on=["point", "replicate"], how="semi"),
                        null_equal=True), "a row read mid-sweep differs from the committed one"



def test_keyboard_interrupt_while_drawing_leaves_a_complete_resumable_folder(small, tmp_path):
    # The regime map's theory trace takes seconds: a SIGINT right after the last run lands
    # while the figures are drawn.
    out = tmp_path / "drawing"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(small), str(out), "plots"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in child.stdout:
        if line.startswith("progress"):
            _, done, total = line.split()
            if int(done) == int(total) > 0:
                break
    child.send_signal(signal.SIGINT)
    rest, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    report = json.loads(rest.strip().splitlines()[-1])
    assert not report.get("finished"), "the figures (about 5 s here) were drawn before the signal landed"
    assert report["done"] == report["total"] == 6, report
    assert "while drawing figures" in report["message"] and "resume with: brunel.sweep(" in report["message"]
    # Every run is committed and readable; the same call draws the figures and runs nothing.
    assert len(brunel.load(out).rows) == 6
    again = brunel.sweep(small, out=out, threads=1, progress=False)
    assert again.report["done_now"] == 0 and again.report["done_before"] == 6
    assert (out / "plots" / "regime_map.png").is_file()
