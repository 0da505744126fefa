"""Print the work plan's HTML to PDF with headless Chromium (``settings.chromium_path``).

The page is self-contained (inline CSS and SVG, no script), so Chromium runs with networking,
extensions and sync off, a throw-away profile, and no header or footer. Chinese needs a CJK font
(``fonts-noto-cjk``); :func:`cjk_fonts` tells whether one is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from loanpilot.kit.errors import ConfigurationError

TIMEOUT_SECONDS = 120
INSTALL_HINT = "apt-get install chromium fonts-noto-cjk"


class PdfError(ConfigurationError):
    """The PDF could not be printed (no Chromium, a timeout, or Chromium failed): a server-side
    problem (HTTP 500 with the message), never the caller's."""


def find_chromium(path: str) -> str:
    """The Chromium executable at ``path`` (or on PATH by that name); PdfError naming the path
    and the package to install otherwise."""
    found = (
        shutil.which(path)
        if not Path(path).is_absolute()
        else (path if Path(path).is_file() else None)
    )
    if found is None:
        raise PdfError(
            "plan.pdf.no_chromium",
            f"Chromium was not found at {path!r} (setting chromium_path / LOANPILOT_CHROMIUM_PATH): "
            f"install it with `{INSTALL_HINT}` or point the setting at a Chromium",
        )
    return found


def cjk_fonts() -> list[str]:
    """Installed fonts that cover Chinese (``fc-list :lang=zh``); empty when none or no fc-list."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30, check=False
    )
    return sorted({line.strip() for line in done.stdout.splitlines() if line.strip()})


def html_to_pdf(
    html: str, out: Path, chromium_path: str, *, timeout: float = TIMEOUT_SECONDS
) -> Path:
    """Write ``html`` as a PDF to ``out``; PdfError when Chromium is missing, fails or times out."""
    binary = find_chromium(chromium_path)
    with tempfile.TemporaryDirectory(prefix="loanpilot-plan-") as tmp:
        page = Path(tmp) / "plan.html"
        page.write_text(html, encoding="utf-8")
        target = Path(tmp) / "plan.pdf"
        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={target}", "--no-pdf-header-footer", page.as_uri(),
        ]  # fmt: skip
        try:
            done = subprocess.run(  # noqa: S603 - a fixed argv, no shell
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise PdfError(
                "plan.pdf.timeout",
                f"Chromium did not finish printing the PDF within {timeout:.0f} s",
            ) from None
        if not target.is_file() or target.stat().st_size == 0:
            tail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
            raise PdfError(
                "plan.pdf.failed",
                f"Chromium ({binary}) exited {done.returncode} without a PDF: " + " | ".join(tail),
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, out)
    return out
