"""How the message tables write a group of keys that share a prefix."""

from __future__ import annotations


def labels(prefix: str, pairs: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """``{"<prefix>.<key>": {"zh": ..., "en": ...}}`` from ``{key: (zh, en)}``."""
    return {f"{prefix}.{key}": {"zh": zh, "en": en} for key, (zh, en) in pairs.items()}
