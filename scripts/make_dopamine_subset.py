"""Build the small Dopamine example that ships inside the package (``measurand demo``, tests).

Reads the full Dopamine baselines table (``suite, game, agent, run, iteration, value``;
google/dopamine ``baselines/*/data/*.json``, Apache-2.0, (c) The Dopamine Authors) and keeps
three agents on six Atari games, every run and every iteration, at full precision. The output
is a gzip CSV with the columns
``game, agent, run, iteration, value`` written byte-for-byte reproducibly (gzip mtime 0).

    python scripts/make_dopamine_subset.py [--source ../shared/data/dopamine_baselines.csv.gz]
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "dopamine_baselines.csv.gz"
DEFAULT_TARGET = REPO / "src" / "measurand" / "data" / "dopamine_subset.csv.gz"

AGENTS = ("DQN", "C51", "Rainbow")
GAMES = ("asterix", "breakout", "pong", "qbert", "seaquest", "spaceinvaders")
MAX_BYTES = 300_000


def build_subset(source: Path) -> pl.DataFrame:
    full = pl.read_csv(source, infer_schema_length=None)
    subset = (
        full.filter(
            pl.col("suite") == "atari",
            pl.col("agent").is_in(AGENTS),
            pl.col("game").is_in(GAMES),
        )
        .select(
            "game",
            "agent",
            pl.col("run").cast(pl.Int64),
            pl.col("iteration").cast(pl.Int64),
            pl.col("value").cast(pl.Float64),
        )
        .sort("game", "agent", "run", "iteration")
    )
    found = subset.select("game", "agent").unique()
    if found.height != len(AGENTS) * len(GAMES):
        raise SystemExit(
            f"expected {len(AGENTS)} agents x {len(GAMES)} games, found {found.height}"
        )
    return subset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    args = parser.parse_args()
    subset = build_subset(args.source)
    payload = gzip.compress(subset.write_csv().encode("utf-8"), compresslevel=9, mtime=0)
    if len(payload) > MAX_BYTES:
        raise SystemExit(f"subset is {len(payload)} bytes, over the {MAX_BYTES} byte budget")
    args.target.parent.mkdir(parents=True, exist_ok=True)
    args.target.write_bytes(payload)
    runs = subset.select("game", "agent", "run").unique().height
    print(f"wrote {args.target} ({len(payload):,} bytes): {subset.height:,} rows, {runs} runs")


if __name__ == "__main__":
    main()
