"""The versioned JSON artefact of a fitted scorecard (house rule 10: never a pickle).

Layout: ``format`` / ``format_version``; ``model`` (name, version); ``params`` (the estimator's);
``training`` (rows, bads, target, bad value, the SHA-256 of the training data, when, extra
metadata); ``variables`` (each binner's fitted state: edges or groups, counts, WoE, IV, manual
flag); ``kinds``, ``ranges``, ``iv``, ``dropped``, ``warnings``; ``regression`` (intercept and the
coefficient of each kept variable); ``card`` (the compiled points card, exactly as scored);
``grades`` (the master scale); ``metrics`` (optional validation figures); and ``content_sha256``,
the SHA-256 of the canonical JSON of everything else.

Loading refuses an artefact from a newer ``format_version`` and one whose content no longer matches
its hash (edited by hand or damaged), naming what is wrong. Floats are written with ``repr``
precision, so a reloaded card scores bit for bit as the one saved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from loanpilot.analytics.binning import NumericBinner
from loanpilot.analytics.binning_categorical import CategoricalBinner
from loanpilot.analytics.scorecard import GradeScale, Kind, Scorecard, labels_of
from loanpilot.analytics.scorecard_export import card_from_dict, card_to_dict

FORMAT = "loanpilot.scorecard"
FORMAT_VERSION = 1


class ArtefactError(ValueError):
    """An artefact that cannot be loaded (wrong format, newer version, tampered, inconsistent)."""


def data_sha256(X: pd.DataFrame, y: npt.ArrayLike) -> str:
    """SHA-256 of the training data: column names, then each column's values as text, then y.

    Values are hashed as the text the kernel matches (``5``, ``5.0`` and ``"5"`` alike; missing as
    its own marker), each prefixed with its length, so the digest does not depend on the pandas
    version or on the dtype a reader inferred."""
    h = hashlib.sha256()
    for col in X.columns:
        name = str(col).encode()
        h.update(b"C%d:" % len(name) + name)
        for v in labels_of(X[col]):
            if v is None:
                h.update(b"N")
            else:
                text = str(v).encode()
                h.update(b"V%d:" % len(text) + text)
    h.update(b"\x1ey\x1f" + np.asarray(y, dtype=np.int64).tobytes())
    return h.hexdigest()


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_sha256(body: Mapping[str, Any]) -> str:
    """SHA-256 of ``body`` without its ``content_sha256`` field, in canonical JSON."""
    return hashlib.sha256(
        _canonical({k: v for k, v in body.items() if k != "content_sha256"})
    ).hexdigest()


def to_artefact(
    card: Scorecard,
    *,
    name: str,
    version: str,
    trained_at: str,
    data_hash: str,
    target: str = "y",
    bad_value: str = "1",
    metrics: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The artefact of a fitted ``Scorecard`` (see the module docstring)."""
    card._check_fitted()
    if not name.strip() or not version.strip():
        raise ValueError("an artefact needs a non-empty name and version")
    body: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": {"name": name, "version": version},
        "params": card.get_params(),
        "training": {
            "rows": card.n_rows_,
            "bads": card.n_bad_,
            "target": target,
            "bad_value": bad_value,
            "data_sha256": data_hash,
            "trained_at": trained_at,
            "metadata": dict(metadata or {}),
        },
        "variables": {n: b.to_dict() for n, b in card.binners_.items()},
        "kinds": dict(card.kinds_),
        "ranges": {n: list(r) for n, r in card.ranges_.items()},
        "iv": dict(card.iv_),
        "dropped": dict(card.dropped_),
        "warnings": list(card.warnings_),
        "regression": {"intercept": card.intercept_, "coef": dict(card.coef_)},
        "selected": list(card.variables_),
        "card": card_to_dict(card.card_),
        "grades": card.grades_.to_list(),
        "metrics": dict(metrics or {}),
    }
    body["content_sha256"] = content_sha256(body)
    return body


def from_artefact(data: Mapping[str, Any]) -> Scorecard:
    """Rebuild the fitted ``Scorecard`` of an artefact, after checking format, version and hash."""
    if data.get("format") != FORMAT:
        raise ArtefactError(
            f"not a LoanPilot scorecard artefact: format is {data.get('format')!r}, "
            f"expected {FORMAT!r}"
        )
    version = data.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ArtefactError(f"artefact format_version must be a positive integer; got {version!r}")
    if version > FORMAT_VERSION:
        raise ArtefactError(
            f"artefact format_version {version} is newer than this LoanPilot reads "
            f"({FORMAT_VERSION}); upgrade LoanPilot to load it"
        )
    stored = data.get("content_sha256")
    actual = content_sha256(data)
    if stored != actual:
        raise ArtefactError(
            f"artefact content does not match its hash (stored {str(stored)[:12]}…, "
            f"computed {actual[:12]}…): it was edited or damaged after it was saved"
        )
    try:
        sc = Scorecard(**_params(data["params"]))
        sc.binners_ = {
            n: NumericBinner.from_dict(d)
            if d["kind"] == "numeric"
            else CategoricalBinner.from_dict(d)
            for n, d in data["variables"].items()
        }
        sc.kinds_ = {n: _kind(k) for n, k in data["kinds"].items()}
        sc.ranges_ = {n: (float(r[0]), float(r[1])) for n, r in data["ranges"].items()}
        sc.iv_ = {n: float(v) for n, v in data["iv"].items()}
        sc.dropped_ = {str(n): str(v) for n, v in data["dropped"].items()}
        sc.warnings_ = [str(w) for w in data["warnings"]]
        sc.intercept_ = float(data["regression"]["intercept"])
        sc.coef_ = {n: float(v) for n, v in data["regression"]["coef"].items()}
        sc.variables_ = tuple(str(v) for v in data["selected"])
        sc.card_ = card_from_dict(data["card"])
        sc.grades_ = GradeScale.from_list(data["grades"])
        sc.n_rows_ = int(data["training"]["rows"])
        sc.n_bad_ = int(data["training"]["bads"])
    except ArtefactError:
        raise
    except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
        raise ArtefactError(f"artefact is incomplete or malformed: {exc!r}") from exc
    if sc.card_.names != sc.variables_:
        raise ArtefactError("artefact is inconsistent: the card's variables differ from 'selected'")
    return sc


def _kind(value: Any) -> Kind:
    if value == "numeric":
        return "numeric"
    if value == "categorical":
        return "categorical"
    raise ArtefactError(f"variable kind must be 'numeric' or 'categorical'; got {value!r}")


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(params)
    out["grades"] = [(str(n), float(p)) for n, p in out.get("grades", [])]
    return out


def save(artefact: Mapping[str, Any], path: Path) -> None:
    """Write ``artefact`` as UTF-8 JSON (atomically: a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(artefact, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def load(path: Path) -> tuple[Scorecard, dict[str, Any]]:
    """The ``Scorecard`` and raw artefact in ``path``; errors name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtefactError(f"{path}: no such artefact file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtefactError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ArtefactError(f"{path}: an artefact is a JSON object")
    try:
        return from_artefact(data), data
    except ArtefactError as exc:
        raise ArtefactError(f"{path}: {exc}") from None
