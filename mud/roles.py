"""The roles an account may hold, lowest first."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("player", "builder", "wizard", "admin")


def role_allows(have: str, need: str) -> bool:
    return ROLES.index(have) >= ROLES.index(need)
