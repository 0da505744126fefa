"""The state shared by the demo generator's steps.

Each step reads what earlier steps generated from ``ctx.tables`` (table name → column name → one
numpy array per column, one entry per row, exactly the columns of the ORM model) and adds its own
tables with ``ctx.add``. Dates are ``datetime64[D]``, instants ``datetime64[us]`` in UTC, enums their
string values. Ids are assigned by the generator (1..n per table) so that foreign keys need no
round-trip to the database. Latent values that are not columns (a manager's true quality, a loan's
true PD) go to ``ctx.latent``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from loanpilot.demo.truth import DemoTruth
from loanpilot.kit.crypto import FieldCipher

Columns = dict[str, Any]

NAT_US = np.datetime64("NaT", "us")
NAT_D = np.datetime64("NaT", "D")
HOUR = np.timedelta64(3_600_000_000, "us")

#: The audit action the demo writes; its presence marks a database as demo data.
DEMO_AUDIT_ACTION = "demo.build"

#: Business dates are Asia/Shanghai; instants are stored UTC: 08:00 offset.
SHANGHAI_OFFSET = np.timedelta64(8, "h")


@dataclass
class DemoContext:
    seed: int
    as_of: date
    n_customers: int
    cipher: FieldCipher
    truth: DemoTruth
    tables: dict[str, Columns] = field(default_factory=dict)
    latent: dict[str, Any] = field(default_factory=dict)

    @property
    def as_of64(self) -> np.datetime64:
        return np.datetime64(self.as_of, "D")

    @property
    def start64(self) -> np.datetime64:
        """First day of the 24-month history window."""
        first = np.datetime64(self.as_of, "M") - np.timedelta64(23, "M")
        return np.datetime64(str(first), "D")

    def rng(self, step: str) -> np.random.Generator:
        """An independent, deterministic random stream per step (stable if steps are reordered)."""
        return np.random.default_rng([self.seed, zlib.crc32(step.encode())])

    def add(self, table: str, columns: Columns) -> None:
        """Add rows to a table (concatenating with rows an earlier step added)."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"{table}: columns of different lengths {sorted(lengths)}")
        if table not in self.tables:
            self.tables[table] = {
                k: np.asarray(v) if not isinstance(v, list) else v for k, v in columns.items()
            }
            return
        current = self.tables[table]
        if set(current) != set(columns):
            raise ValueError(f"{table}: columns differ from the rows added before")
        for key, value in columns.items():
            old = current[key]
            if isinstance(old, list) or isinstance(value, list):
                current[key] = list(old) + list(value)
            else:
                current[key] = np.concatenate([old, np.asarray(value)])

    def count(self, table: str) -> int:
        cols = self.tables.get(table)
        if not cols:
            return 0
        return len(next(iter(cols.values())))

    def next_ids(self, table: str, n: int) -> np.ndarray[Any, Any]:
        start = self.count(table) + 1
        return np.arange(start, start + n, dtype=np.int64)


def local_to_utc(day: np.ndarray[Any, Any], hours: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Business date + fractional local hour (Asia/Shanghai) → UTC instant (datetime64[us])."""
    micros = (np.asarray(hours, dtype=float) * 3_600_000_000).astype(np.int64)
    local = day.astype("M8[us]") + micros.astype("m8[us]")
    return np.asarray(local - SHANGHAI_OFFSET)


def utc_to_local_date(instant: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return (instant + SHANGHAI_OFFSET).astype("M8[D]")


def pick(rng: np.random.Generator, options: Any, size: int, p: Any = None) -> np.ndarray[Any, Any]:
    """Random choice returning a numpy array (probabilities normalised)."""
    opts = np.asarray(options)
    if p is not None:
        probs = np.asarray(p, dtype=float)
        probs = probs / probs.sum()
        return opts[rng.choice(len(opts), size=size, p=probs)]
    return opts[rng.integers(0, len(opts), size=size)]


def nullable(mask: Any, values: Any) -> np.ndarray[Any, Any]:
    """``values`` where ``mask`` holds and None elsewhere: an object array for a nullable column."""
    keep = np.asarray(mask, dtype=bool)
    out = np.array(np.broadcast_to(np.asarray(values, dtype=object), keep.shape), dtype=object)
    out[~keep] = None
    return out


def zfill(values: Any, width: int) -> np.ndarray[Any, Any]:
    """``np.char.zfill`` that also accepts an empty array (numpy's raises on one)."""
    text = np.asarray(values).astype(f"U{width}")
    if text.size == 0:
        return text
    return np.char.zfill(text, width)


def by_key(keys: Any, table: dict[str, float], default: float = 0.0) -> np.ndarray[Any, Any]:
    """The value ``table`` gives each key (``default`` for keys not in the table)."""
    out = np.full(len(keys), default, dtype=float)
    for key, value in table.items():
        out[keys == key] = value
    return out
