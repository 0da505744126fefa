"""zh/en messages of the console's and portal's portal pages."""

from __future__ import annotations

from typing import Final

PORTAL: Final[dict[str, dict[str, str]]] = {}
