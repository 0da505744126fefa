"""Separate virtual environments for the peers of our benchmarks (OptBinning, scorecardpy, toad).

A bench script runs in our venv; the peers live in their own venv so that their pins never touch
ours. Nothing is written into the repository: the venvs live under
``${LOANPILOT_BENCH_DIR:-/tmp/loanpilot-bench}``, are created on first use and reused after that
(a marker file records the requirements they were built for; change the requirements and the venv
is rebuilt).

    from peers import peer_python, run_peer
    result = run_peer(Path(__file__), ["--_peer", "fit", str(workdir)], peer="optbinning")

``run_peer`` runs a script (a path, or the text of one) with the peer's interpreter in a
subprocess and returns the JSON document the script printed as the last line of its standard
output. The script sees ``OMP_NUM_THREADS=1`` (and the other BLAS thread limits) like our side.

Layout. On this machine (Python 3.11, 2026-11) ``pip install optbinning scorecardpy toad numpy
pandas scikit-learn`` resolves in one venv: OptBinning 1.0.0, scorecardpy 0.1.9.7, toad 0.1.7 (a
pure-Python release without pins), pandas 3.1.1, numpy 2.4.6, scikit-learn 1.9.1, and all three
import. Importing is not enough, though: each peer's workflow is run on 2,000 rows (``SMOKE``),
and scorecardpy 0.1.9.7 fails there under pandas 3 (``woebin`` calls ``pd.to_numeric(...,
errors="ignore")``, which pandas 3 removed: "invalid error value specified"). So by default:

* ``peers-venv`` (pip's choice, pandas 3): OptBinning and toad;
* ``peers-venv-scorecardpy`` (``pandas<3``: pandas 2.3.3): scorecardpy.

The rule is general (``_layout``): a peer that does not install, import or run its workflow in the
shared venv gets a venv of its own, with the same pins and, failing that, with ``pandas<3``
(toad, which the brief expected to need older pins, needs none today). The decision is kept in
``peers-layout.json`` and taken again only when that file is deleted.

``pandas_major=2`` (or 3) pins every peer venv to that pandas line (``peers-venv-pandas2``: all
three peers work there); with ``pandas_major=3`` scorecardpy works nowhere, and ``peer_python
("scorecardpy", pandas_major=3)`` raises ``PeerError`` saying why.

Command line (for a manual check): ``python bench/peers.py [--pandas 2|3]`` builds the venvs and
prints each peer's interpreter and versions.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PEERS: tuple[str, ...] = ("optbinning", "scorecardpy", "toad")
BASE_REQUIREMENTS: tuple[str, ...] = ("numpy", "pandas", "scikit-learn")
_IMPORT_NAME = {"optbinning": "optbinning", "scorecardpy": "scorecardpy", "toad": "toad"}
_MARKER = ".loanpilot-bench.json"
THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


class PeerError(RuntimeError):
    """A peer venv could not be built, or a peer script failed or printed no JSON."""


def bench_dir() -> Path:
    """``${LOANPILOT_BENCH_DIR:-/tmp/loanpilot-bench}``, created if absent."""
    path = Path(os.environ.get("LOANPILOT_BENCH_DIR") or "/tmp/loanpilot-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _log(msg: str) -> None:
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive lock, so that two bench scripts never build the same venv at once."""
    lock = bench_dir() / f".{name}.lock"
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _base_python() -> str:
    """The interpreter a new venv is made from (our venv's base Python, same minor version)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _pip_versions(python: Path, packages: Sequence[str]) -> dict[str, str]:
    code = (
        "import json, sys\n"
        "from importlib.metadata import version, PackageNotFoundError\n"
        "out = {}\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n"
        "        out[p] = version(p)\n"
        "    except PackageNotFoundError:\n"
        "        out[p] = None\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [str(python), "-c", code, *packages], capture_output=True, text=True, check=True
    )
    out: dict[str, str] = json.loads(done.stdout)
    return out


def _imports_ok(python: Path, modules: Sequence[str]) -> tuple[bool, str]:
    code = "import " + ", ".join(modules)
    done = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **THREAD_ENV},
        check=False,
    )
    return done.returncode == 0, done.stderr.strip()[-2000:]


def ensure_venv(
    name: str,
    requirements: Sequence[str],
    *,
    imports: Sequence[str] = (),
    rebuild: bool = False,
) -> Path:
    """Create (once) the venv ``bench_dir()/name`` holding ``requirements``; return its python.

    The venv is reused while its marker records the same requirements and ``imports`` still
    import. On a failed install the half-built venv is removed and ``PeerError`` raised with
    pip's last lines.
    """
    venv = bench_dir() / name
    python = _venv_python(venv)
    want = sorted(requirements)
    digest = hashlib.sha256(json.dumps(want).encode()).hexdigest()[:16]
    marker = venv / _MARKER
    with _locked(name):
        if not rebuild and marker.is_file() and python.exists():
            try:
                data = json.loads(marker.read_text())
            except ValueError:
                data = {}
            if data.get("digest") == digest and (not imports or _imports_ok(python, imports)[0]):
                return python
        if venv.exists():
            _remove_tree(venv)
        _log(f"creating {venv} with {' '.join(want)} (once; cached afterwards)")
        t0 = time.perf_counter()
        subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
        log = bench_dir() / f"{name}.pip.log"
        with log.open("w") as fh:
            done = subprocess.run(
                [str(python), "-m", "pip", "install", "--disable-pip-version-check", *want],
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if done.returncode != 0:
            tail = "\n".join(log.read_text().splitlines()[-15:])
            _remove_tree(venv)
            raise PeerError(f"pip install {' '.join(want)} failed in {venv}:\n{tail}")
        if imports:
            ok, err = _imports_ok(python, imports)
            if not ok:
                _remove_tree(venv)
                raise PeerError(f"{', '.join(imports)} do not import in {venv}:\n{err}")
        names = [r.split("<")[0].split(">")[0].split("=")[0].split("[")[0] for r in want]
        versions = _pip_versions(python, names)
        marker.write_text(
            json.dumps({"digest": digest, "requirements": want, "versions": versions}, indent=1)
        )
        _log(f"{venv} ready in {time.perf_counter() - t0:.0f} s: {versions}")
    return python


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _pandas_pin(pandas_major: int | None) -> tuple[str, str]:
    if pandas_major is None:
        return "pandas", ""
    if pandas_major not in (2, 3):
        raise ValueError(f"pandas_major must be 2, 3 or None, got {pandas_major!r}")
    return f"pandas>={pandas_major},<{pandas_major + 1}", f"-pandas{pandas_major}"


_SMOKE_DATA = """
import warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
rng = np.random.default_rng(0)
n = 2000
df = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                   "c": rng.choice(list("xyz"), n)})
df.loc[::37, "a"] = np.nan
df["y"] = (rng.random(n) < 1 / (1 + np.exp(-(df["a"].fillna(0) - 1)))).astype(int)
X, y = df.drop(columns="y"), df["y"]
"""
#: Each peer's recommended workflow on 2,000 rows: a peer that imports but cannot run it (an
#: API its pandas no longer has) is moved to a venv of its own.
SMOKE: dict[str, str] = {
    "optbinning": """
from optbinning import BinningProcess, Scorecard
from sklearn.linear_model import LogisticRegression
card = Scorecard(binning_process=BinningProcess(["a", "b", "c"], categorical_variables=["c"]),
                 estimator=LogisticRegression(), scaling_method="min_max",
                 scaling_method_params={"min": 300, "max": 850}).fit(X, y)
assert np.isfinite(card.score(X)).all()
""",
    "scorecardpy": """
import scorecardpy as sc
from sklearn.linear_model import LogisticRegression
bins = sc.woebin(df, y="y")
woe = sc.woebin_ply(df, bins)
lr = LogisticRegression().fit(woe.drop(columns="y"), woe["y"])
card = sc.scorecard(bins, lr, woe.drop(columns="y").columns)
assert np.isfinite(sc.scorecard_ply(df, card).to_numpy(dtype=float)).all()
""",
    "toad": """
import toad
comb = toad.transform.Combiner()
comb.fit(df, y="y", method="chi", min_samples=0.05)
binned = comb.transform(df)
woe = toad.transform.WOETransformer()
w = woe.fit_transform(binned, binned["y"], exclude=["y"])
card = toad.ScoreCard(combiner=comb, transer=woe).fit(w.drop(columns="y"), w["y"])
assert np.isfinite(card.predict(df)).all()
""",
}


def smoke(python: Path, peer: str) -> str | None:
    """Run ``SMOKE[peer]`` with ``python``; None when it works, else the error's last line."""
    done = subprocess.run(
        [str(python), "-c", _SMOKE_DATA + SMOKE[peer]],
        capture_output=True,
        text=True,
        env={**os.environ, **THREAD_ENV},
        check=False,
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit {done.returncode}"


def _layout(pandas_major: int | None) -> dict[str, Any]:
    """Decide (once) which venv holds which peer, record it in ``peers-layout[-pandasN].json``.

    First all three peers share ``peers-venv[-pandasN]``. A peer that does not install or whose
    ``SMOKE`` workflow fails there gets ``peers-venv[-pandasN]-<peer>``: with the same pins, and
    when that fails too and no pandas line was asked for, with ``pandas<3``. A peer that works
    nowhere is listed under ``errors`` with the reason.
    """
    if pandas_major in _LAYOUTS:  # checked once per process
        return _LAYOUTS[pandas_major]
    _LAYOUTS[pandas_major] = layout = _decide_layout(pandas_major)
    return layout


_LAYOUTS: dict[int | None, dict[str, Any]] = {}


def _decide_layout(pandas_major: int | None) -> dict[str, Any]:
    pandas_req, suffix = _pandas_pin(pandas_major)
    base = [pandas_req if r == "pandas" else r for r in BASE_REQUIREMENTS]
    main = f"peers-venv{suffix}"
    layout_file = bench_dir() / f"peers-layout{suffix}.json"
    if layout_file.is_file():
        layout: dict[str, Any] = json.loads(layout_file.read_text())
        if isinstance(layout, dict) and {"venvs", "peers", "errors"} <= layout.keys():
            for name, spec in layout["venvs"].items():
                ensure_venv(name, spec["requirements"], imports=spec["imports"])
            return layout
    venvs: dict[str, dict[str, list[str]]] = {}
    where: dict[str, str] = {}
    errors: dict[str, str] = {}
    notes: list[str] = []
    reasons: dict[str, str] = {}
    todo = list(PEERS)
    reqs, imports = [*PEERS, *base], [_IMPORT_NAME[p] for p in PEERS]
    try:
        python = ensure_venv(main, reqs, imports=imports)
    except PeerError as exc:
        notes.append(f"the peers do not install together: {exc}")
        shared_failed = True
    else:
        venvs[main] = {"requirements": reqs, "imports": imports}
        shared_failed = False
        for peer in PEERS:
            failed = smoke(python, peer)
            if failed is None:
                where[peer] = main
                todo.remove(peer)
            else:
                reasons[peer] = failed
                notes.append(f"{peer} fails its workflow in {main}: {failed}")
    for peer in todo:
        tries = [base] if shared_failed else []
        if pandas_major is None:
            tries.append(["numpy", "pandas<3", "scikit-learn"])
        why = f"{reasons.get(peer, '')} (with pandas {pandas_major}, which was asked for)"
        for pins in tries:
            name, reqs = f"{main}-{peer}", [peer, *pins]
            try:
                python = ensure_venv(name, reqs, imports=[_IMPORT_NAME[peer]])
            except PeerError as exc:
                why = str(exc).splitlines()[-1]
                continue
            failed = smoke(python, peer)
            if failed is None:
                venvs[name] = {"requirements": reqs, "imports": [_IMPORT_NAME[peer]]}
                where[peer] = name
                notes.append(f"{peer} runs in {name} ({' '.join(pins)})")
                break
            why = failed
        else:
            errors[peer] = why
    for note in notes:
        _log(note)
    layout = {"venvs": venvs, "peers": where, "errors": errors, "notes": notes}
    layout_file.write_text(json.dumps(layout, indent=1))
    return layout


def ensure_peers(pandas_major: int | None = None) -> dict[str, Path]:
    """Build (once) the peers' venvs; return the interpreter of each peer that works.

    ``pandas_major`` = 2 or 3 pins every peer venv to that pandas line; None lets pip choose
    (a peer that only works with pandas 2 then gets a venv with ``pandas<3``). See ``_layout``.
    """
    layout = _layout(pandas_major)
    return {p: _venv_python(bench_dir() / name) for p, name in layout["peers"].items()}


def peer_python(name: str, *, pandas_major: int | None = None) -> Path:
    """The interpreter of the venv holding peer ``name`` (built on first use); ``PeerError``
    with the reason when the peer works in no venv (e.g. scorecardpy with pandas 3)."""
    if name not in PEERS:
        raise ValueError(f"peer must be one of {PEERS}, got {name!r}")
    layout = _layout(pandas_major)
    if name in layout["errors"]:
        raise PeerError(f"{name} does not work here: {layout['errors'][name]}")
    return _venv_python(bench_dir() / layout["peers"][name])


def peer_versions(name: str, *, pandas_major: int | None = None) -> dict[str, str]:
    """Installed versions of the peer and of numpy/pandas/scikit-learn beside it."""
    return _pip_versions(
        peer_python(name, pandas_major=pandas_major), [name, *BASE_REQUIREMENTS, "scipy"]
    )


def run_python(
    python: Path,
    script: str | Path,
    args: Sequence[str] = (),
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    cwd: Path | None = None,
) -> Any:
    """Run ``script`` (a path, or its text) with ``python``; return its last stdout line as JSON.

    The script's standard error passes through (progress lines); a non-zero exit or a last line
    that is not JSON raises ``PeerError`` with the tail of the output.
    """
    tmp: Path | None = None
    if isinstance(script, Path):
        path = script
    else:
        fd, name = tempfile.mkstemp(suffix=".py", prefix="peer-", dir=bench_dir())
        with os.fdopen(fd, "w") as fh:
            fh.write(script)
        path = tmp = Path(name)
    try:
        done = subprocess.run(
            [str(python), str(path), *args],
            stdout=subprocess.PIPE,
            stderr=None,
            text=True,
            env={**os.environ, **THREAD_ENV, **(env or {})},
            timeout=timeout,
            cwd=str(cwd) if cwd else None,
            check=False,
        )
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    if done.returncode != 0:
        tail = "\n".join(lines[-10:])
        raise PeerError(f"{python} {path.name} {' '.join(args)} exited {done.returncode}\n{tail}")
    if not lines:
        raise PeerError(f"{python} {path.name} printed nothing")
    try:
        return json.loads(lines[-1])
    except ValueError:
        raise PeerError(
            f"{python} {path.name}: last line is not JSON: {lines[-1][:300]!r}"
        ) from None


def run_peer(
    script: str | Path,
    args: Sequence[str] = (),
    *,
    peer: str = "optbinning",
    pandas_major: int | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Any:
    """Run ``script`` in the venv of ``peer``; return the JSON it printed last (``run_python``)."""
    return run_python(
        peer_python(peer, pandas_major=pandas_major), script, args, env=env, timeout=timeout
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the peers' venvs and show their versions.")
    parser.add_argument("--pandas", type=int, choices=(2, 3), default=None)
    args = parser.parse_args(argv)
    for peer in PEERS:
        try:
            python = peer_python(peer, pandas_major=args.pandas)
        except PeerError as exc:
            print(f"{peer:12} unavailable: {exc}")
            continue
        print(f"{peer:12} {python}  {peer_versions(peer, pandas_major=args.pandas)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
