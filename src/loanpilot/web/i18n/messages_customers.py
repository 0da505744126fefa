"""zh/en messages of the console's and portal's customers pages."""

from __future__ import annotations

from typing import Final

CUSTOMERS: Final[dict[str, dict[str, str]]] = {}
