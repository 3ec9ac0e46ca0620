"""Checks a brunel sweep results folder from Python, as a notebook user meets it.

usage: check_results.py RESULTS_DIR EXPECTED_ROWS

Reads RESULTS_DIR/data with polars (scan_parquet on the folder), pyarrow (dataset),
pandas and DuckDB; asserts the schema (keys, parameters, measures with units in their
names, regime, mean-field prediction, timings), the row count, one row per
(point, replicate), and the provenance metadata (definition text and hash, version).
(examples/phase_diagram.py uses the Python package; python/tests/test_example.py runs it.)
Prints 'N passed, 0 failed' on success; raises on the first failure.
"""
import hashlib
import json
import sys

from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq

root = Path(sys.argv[1])
expected_rows = int(sys.argv[2])
data = root / "data"
checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


# polars: the folder is one dataset.
df = pl.scan_parquet(str(data)).collect()
check(df.height == expected_rows, f"polars rows {df.height} != {expected_rows}")
required = {
    "point": pl.UInt32, "replicate": pl.UInt32, "seed": pl.UInt64,
    "g": pl.Float64, "eta": pl.Float64, "N_E": pl.Float64,
    "rate_hz": pl.Float64, "rate_e_hz": pl.Float64, "rate_i_hz": pl.Float64,
    "cv_isi": pl.Float64, "cv_isi_e": pl.Float64, "cv_fraction": pl.Float64,
    "fano_factor": pl.Float64, "chi": pl.Float64,
    "spectrum_peak_hz": pl.Float64, "spectrum_peak_share": pl.Float64,
    "regime": pl.String, "theory_rate_hz": pl.Float64, "theory_cv_isi": pl.Float64,
    "wall_s": pl.Float64,
}
for name, dtype in required.items():
    check(name in df.columns, f"column {name} missing; have {df.columns}")
    check(df.schema[name] == dtype, f"column {name} is {df.schema[name]}, expected {dtype}")
check(df.select(pl.struct("point", "replicate").n_unique()).item() == expected_rows, "duplicate (point, replicate)")
check(set(df["regime"].unique()) <= {"quiescent", "SR", "AR", "AI", "SI-fast", "SI-slow", "unclassified"}, "unknown regime label")
check(df.filter(pl.col("rate_hz") > 0).height > 0, "every point silent")

# The phase diagram pivots cleanly: one cell per (g, eta).
pivot = df.group_by("g", "eta").agg(pl.col("rate_hz").mean()).pivot(on="eta", index="g", values="rate_hz")
check(pivot.height == df["g"].n_unique(), "pivot over g")

# pyarrow dataset and pandas.
table = ds.dataset(str(data), format="parquet").to_table()
check(table.num_rows == expected_rows, f"pyarrow rows {table.num_rows}")
pdf = pd.read_parquet(str(data))
check(len(pdf) == expected_rows, f"pandas rows {len(pdf)}")

# DuckDB.
n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/*.parquet')").fetchall()[0][0]
check(n == expected_rows, f"duckdb rows {n}")

# Provenance in the key-value metadata of every part file.
definition = (root / "definition.toml").read_text()
digest = hashlib.sha256(definition.encode()).hexdigest()
for part in sorted(data.glob("*.parquet")):
    md = pq.read_metadata(part).metadata
    prov = json.loads(md[b"brunel_sweep"])
    check(prov["definition"] == definition, f"{part.name}: definition text differs")
    check(prov["definition_hash"] == digest, f"{part.name}: hash differs")
    check(md[b"brunel_definition_hash"].decode() == digest, f"{part.name}: hash key differs")
    for key in ("version", "host", "started", "ended", "master_seed", "shard"):
        check(key in prov, f"{part.name}: provenance lacks {key}")
meta = pl.read_parquet_metadata(str(sorted(data.glob("*.parquet"))[0]))
check("brunel_sweep" in meta, "polars cannot see the metadata")

print(f"{checks} passed, 0 failed")
