"""zh/en messages of the console's and portal's admin pages."""

from __future__ import annotations

from typing import Final

ADMIN: Final[dict[str, dict[str, str]]] = {}
