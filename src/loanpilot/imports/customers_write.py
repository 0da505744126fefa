"""Writing validated customers: existing ones found by blind index, the rest encrypted and
inserted in chunks with their consents. The caller owns the transaction."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.dtypes import StringDType

from loanpilot.db.bulk import bulk_insert, max_id
from loanpilot.imports import repository as repo
from loanpilot.imports.context import ImportContext, Outcome
from loanpilot.imports.parsing import Mask, Text, present
from loanpilot.kit.errors import ConflictError

DEFAULT_CHANNEL = "branch"
CONSENT_TEXT_VERSION = "import"
WRITE_CHUNK = 100_000


class CustomerRows:
    """Parsed columns of every row (position = row of the frame)."""

    def __init__(self, n: int) -> None:
        self.columns: dict[str, npt.NDArray[Any]] = {}
        self.ids: Text = np.empty(0)
        self.id_ok: Mask = np.zeros(n, dtype=bool)
        self.phones: npt.NDArray[np.object_] = np.full(n, None, dtype=object)
        self.customer_no: Text = np.full(n, "", dtype=StringDType())
        self.consent: Mask = np.zeros(n, dtype=bool)


def write(ctx: ImportContext, rows: CustomerRows) -> Outcome:
    log, conn, cipher = ctx.log, ctx.conn, ctx.cipher
    candidates = np.flatnonzero(~log.bad & rows.id_ok)
    ctx.report("encrypt", 0, len(candidates))
    ids = rows.ids[candidates].astype(object)
    hashes = cipher.blind_index_many(ids, "id_number")
    known = repo.customers_by_hash(conn, hashes)
    existing = np.fromiter((h in known for h in hashes), dtype=bool, count=len(hashes))
    new = candidates[~existing]
    new_hashes = np.empty(len(hashes), dtype=object)
    new_hashes[:] = hashes
    new_hashes = new_hashes[~existing]

    supplied = rows.customer_no[new].astype(object)
    has_no = np.fromiter(map(bool, supplied), dtype=bool, count=len(supplied))
    taken = repo.customers_by_no(conn, supplied[has_no].tolist())
    if taken:
        clash = np.zeros(len(new), dtype=bool)
        clash[np.flatnonzero(has_no)] = [s in taken for s in supplied[has_no].tolist()]
        failed = np.zeros(ctx.n, dtype=bool)
        failed[new[clash]] = True
        log.add("customer_no", failed, "already belongs to another customer", rows.customer_no)
        new, new_hashes, supplied, has_no = (
            new[~clash],
            new_hashes[~clash],
            supplied[~clash],
            has_no[~clash],
        )

    if new.size == 0:
        return Outcome(inserted=0, unchanged=int(existing.sum()))
    start = max_id(conn, repo.customers_t) + 1
    pk = np.arange(start, start + len(new), dtype=np.int64)
    numbers = supplied.copy()
    generated = np.char.add("C", np.char.zfill(pk.astype(str), 10)).astype(object)
    numbers[~has_no] = generated[~has_no]
    _check_generated(ctx, generated[~has_no], set(supplied[has_no].tolist()))

    total = len(new)
    for begin in range(0, total, WRITE_CHUNK):
        end = min(begin + WRITE_CHUNK, total)
        part = new[begin:end]
        ctx.report("encrypt", begin, total)
        columns = _customer_columns(ctx, rows, part, pk[begin:end], numbers[begin:end])
        columns["id_number_hash"] = new_hashes[begin:end]
        ctx.report("write", begin, total)
        bulk_insert(conn, repo.customers_t, columns)
    _write_consents(ctx, rows, new, pk)
    ctx.report("write", total, total)
    return Outcome(
        inserted=total,
        unchanged=int(existing.sum()),
        written={"customers": total, "consents": total + int(rows.consent[new].sum())},
    )


def _check_generated(ctx: ImportContext, generated: npt.NDArray[Any], supplied: set[str]) -> None:
    """Generated customer numbers must not collide with supplied or stored ones."""
    clash = [g for g in generated.tolist() if g in supplied]
    if not clash and repo.count(ctx.conn, repo.customers_t):
        clash = list(repo.customers_by_no(ctx.conn, generated.tolist()))
    if clash:
        raise ConflictError(
            "import.customer_no",
            f"{ctx.table.source}: the generated customer number {clash[0]} is already used; "
            "give every row a customer_no, or none",
        )


def _customer_columns(
    ctx: ImportContext,
    rows: CustomerRows,
    part: npt.NDArray[np.intp],
    pk: npt.NDArray[np.int64],
    numbers: npt.NDArray[Any],
) -> dict[str, Any]:
    cipher, cols = ctx.cipher, rows.columns
    ids = rows.ids[part].astype(object)
    phones = rows.phones[part]
    has_phone = np.flatnonzero(present(phones))
    phone_enc = np.full(len(part), None, dtype=object)
    phone_hash = np.full(len(part), None, dtype=object)
    if has_phone.size:
        plain = phones[has_phone]
        phone_enc[has_phone] = _objects(cipher.encrypt_many(plain, "phone"))
        phone_hash[has_phone] = _objects(cipher.blind_index_many(plain, "phone"))
    columns: dict[str, Any] = {
        "id": pk,
        "customer_no": numbers,
        "id_number_enc": _objects(cipher.encrypt_many(ids, "id_number")),
        "phone_enc": phone_enc,
        "phone_hash": phone_hash,
        "opted_out_at": np.full(len(part), None, dtype=object),
        "is_blacklisted": np.zeros(len(part), dtype=bool),
    }
    for name in (
        "name",
        "birth_date",
        "gender",
        "occupation",
        "employer_kind",
        "education",
        "marital_status",
        "monthly_income_fen",
        "has_provident_fund",
        "provident_fund_monthly_fen",
        "owns_home",
        "province",
        "city",
        "home_branch_id",
        "manager_id",
        "source_channel",
        "preferred_channel",
        "marketing_consent",
        "since",
    ):
        columns[name] = cols[name][part]
    return columns


def _objects(values: list[bytes]) -> npt.NDArray[np.object_]:
    """Bytes as an object array: a plain list would become a NUL-stripping ``S`` array."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _write_consents(
    ctx: ImportContext, rows: CustomerRows, new: npt.NDArray[np.intp], pk: npt.NDArray[np.int64]
) -> None:
    if new.size == 0:
        return
    consent = rows.consent[new]
    channel = rows.columns["source_channel"][new]
    channel = np.where(channel == "referral", DEFAULT_CHANNEL, channel).astype(object)
    customer = np.concatenate([pk, pk[consent]])
    kind = np.concatenate(
        [
            np.full(len(pk), "data_processing", dtype=object),
            np.full(int(consent.sum()), "marketing", dtype=object),
        ]
    )
    start = max_id(ctx.conn, repo.consents_t) + 1
    m = len(customer)
    at = np.datetime64(ctx.now.astimezone(UTC).replace(tzinfo=None), "us")
    bulk_insert(
        ctx.conn,
        repo.consents_t,
        {
            "id": np.arange(start, start + m, dtype=np.int64),
            "customer_id": customer,
            "kind": kind,
            "granted": np.ones(m, dtype=bool),
            "at": np.full(m, at),
            "channel": np.concatenate([channel, channel[consent]]),
            "text_version": np.full(m, CONSENT_TEXT_VERSION, dtype=object),
        },
    )
