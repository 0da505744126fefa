"""What the marketing journey in the browser shares: a watch on a page that records every defect
the browser can see (uncaught script errors, console errors, answers of 500 and above, failed
scripts, styles or requests of the page, message keys shown raw instead of their text, a page
wider than the window), and the few reads of a page the journey repeats."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Page, Response

#: A message key of the console's tables shown as text (``campaigns.detail.budget``): what a
#: template shows when it prints a key instead of translating it.
RAW_KEY = re.compile(
    r"\b(?:app|nav|segments|offers|models|campaigns|planning|results|uplift|dashboard|channel)"
    r"(?:\.[a-z][a-z0-9_]*)+\b"
)
_FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of")


@dataclass
class Watch:
    """Everything wrong the browser noticed on a page, each with the URL it happened on."""

    page: Page
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("pageerror", lambda exc: self.problems.append(f"{self.page.url}: {exc}"))
        self.page.on("console", self._console)
        self.page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium logs every answer of 400 and above as a failed resource, a form refused with
        # 422 too (the page answering as designed); _response judges those by their kind.
        if message.type == "error" and not _FAILED_RESOURCE.search(message.text):
            self.problems.append(f"{self.page.url}: console error: {message.text}")

    def _response(self, response: Response) -> None:
        document = response.request.resource_type == "document"
        if response.status >= 500 or (response.status >= 400 and not document):
            self.problems.append(f"{response.url}: HTTP {response.status}")

    def check_page(self, *, layout: bool = True) -> None:
        """Record the raw message keys the page shows and (``layout``) whether it is wider than
        the window (a table or form pushing the page sideways)."""
        text = self.page.locator("body").inner_text()
        for key in sorted(set(RAW_KEY.findall(text))):
            self.problems.append(f"{self.page.url}: untranslated key shown: {key}")
        if layout:
            wide, window = self.page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            if wide > window + 1:
                self.problems.append(f"{self.page.url}: page {wide}px wide in a {window}px window")


def figure(page: Page, selector: str, attribute: str) -> str:
    """An attribute of the one element ``selector`` finds (the pages put figures in data-*)."""
    value = page.locator(selector).get_attribute(attribute)
    assert value is not None, f"{selector} has no {attribute} on {page.url}"
    return value


def read_csv(content: bytes) -> list[dict[str, str]]:
    """The rows of an exported list (UTF-8 with a BOM for Excel), by their header."""
    assert content.startswith(b"\xef\xbb\xbf"), "the export has no UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
