"""Benchmarks whose numbers go into bench/RESULTS.md and the docs."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading: str, reproduce: str, table: str, out: Path = RESULTS) -> None:
    """Put ``table`` under ``heading`` in RESULTS.md, replacing that section only (the rest is left alone)."""
    text = out.read_text() if out.exists() else "# Benchmark results\n"
    before, _, rest = text.partition(heading)
    after = rest.partition("\n## ")[2]
    section = f"{heading}\n\nReproduce: {reproduce}.\n\n{table}\n"
    out.write_text(before.rstrip("\n") + "\n\n" + section + (f"\n## {after}" if after else ""))
