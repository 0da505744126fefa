"""zh/en messages of the console's and portal's products pages."""

from __future__ import annotations

from typing import Final

PRODUCTS: Final[dict[str, dict[str, str]]] = {}
