"""Build a 100,000-customer demo bank into a fresh SQLite file and print wall time and peak memory.

Target (issue 2): under 60 s and under 2 GiB on the 2-core CI machine.

    .venv/bin/python bench/demo_build.py [--customers 100000] [--seed 20261129] [--database-url URL]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from loanpilot.db import migrate
from loanpilot.db.session import make_engine
from loanpilot.demo import builder
from loanpilot.kit.crypto import FieldCipher, generate_key

TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--as-of", default="2026-11-29")
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temp dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        engine = make_engine(url)
        started = time.perf_counter()
        report = builder.build(
            engine,
            n_customers=args.customers,
            seed=args.seed,
            as_of=date.fromisoformat(args.as_of),
            cipher=FieldCipher(generate_key()),
            truth_dir=Path(tmp),
            reset=True,
        )
        wall = time.perf_counter() - started
        engine.dispose()
        size = (Path(tmp) / "bench.db").stat().st_size if not args.database_url else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB
    print(
        f"demo build: {args.customers:,} customers, {report.total_rows:,} rows in {len(report.rows)} tables"
    )
    print(f"  generate {report.seconds_generate:6.1f} s   write {report.seconds_write:6.1f} s")
    print(
        f"  wall     {wall:6.1f} s   (target < {TARGET_SECONDS:.0f} s)  {'OK' if wall < TARGET_SECONDS else 'MISSED'}"
    )
    print(
        f"  peak RSS {peak / 1024**3:6.2f} GiB (target < 2 GiB)  {'OK' if peak < TARGET_BYTES else 'MISSED'}"
    )
    if size:
        print(f"  SQLite file {size / 1024**2:.0f} MiB")
    for name, count in sorted(report.rows.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {name:<28} {count:>10,}")
    return 0 if wall < TARGET_SECONDS and peak < TARGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
