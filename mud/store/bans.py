"""Bans of an account, a character name or an address, kept in PostgreSQL and mirrored in memory
so that checking a connection or a login never waits on the database.

Every process of the game reads the same table: it reloads its copy when told over the bus that
the bans changed, and every REFRESH_SECONDS in case it missed the message.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

log = logging.getLogger("mud.bans")

KINDS: tuple[str, ...] = ("account", "character", "address")
REFRESH_SECONDS = 30.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Ban:
    kind: str
    value: str
    reason: str
    created_by: str
    created_at: datetime

    def line(self) -> str:
        """One row of a listing."""
        return (f"  {self.kind:<9} {self.value:<20} {self.created_at:%Y-%m-%d %H:%M} by "
                f"{self.created_by}" + (f": {self.reason}" if self.reason else ""))


class BanError(ValueError):
    """A ban that cannot be: unknown kind or a malformed address."""


def normalise(kind: str, value: str) -> str:
    """The stored form: lower-case names, addresses as networks ("10.0.0.0/8", "::1/128")."""
    if kind not in KINDS:
        raise BanError(f"A ban is of an {', a '.join(KINDS[:-1])} or an {KINDS[-1]}.")
    if kind != "address":
        if not value or len(value) > 40 or not value.replace("_", "").isalnum():
            raise BanError(f"'{value[:40]}' is not a valid {kind} name.")
        return value.lower()
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise BanError(f"'{value[:60]}' is not an address or a network (like 203.0.113.7 "
                       "or 203.0.113.0/24).") from None


class BanList:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._bans: dict[tuple[str, str], Ban] = {}
        self._networks: list[tuple[Network, Ban]] = []

    async def refresh(self) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT kind, value, reason, created_by, created_at FROM bans ORDER BY created_at")
            bans = [Ban(*row) for row in await cur.fetchall()]
        self._bans = {(b.kind, b.value): b for b in bans}
        self._networks = [(ipaddress.ip_network(b.value), b) for b in bans if b.kind == "address"]

    async def add(self, kind: str, value: str, reason: str, by: str) -> Ban:
        """Ban (or re-ban with a new reason); raises BanError on a malformed one."""
        value = normalise(kind, value)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO bans (kind, value, reason, created_by) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (kind, value) DO UPDATE SET reason = EXCLUDED.reason,"
                " created_by = EXCLUDED.created_by, created_at = now()"
                " RETURNING kind, value, reason, created_by, created_at",
                (kind, value, reason[:200], by))
            row = await cur.fetchone()
        assert row is not None
        await self.refresh()
        log.info("event=ban_added kind=%s value=%s by=%s", kind, value, by)
        return Ban(*row)

    async def remove(self, kind: str, value: str) -> bool:
        value = normalise(kind, value)
        async with self._pool.connection() as conn:
            cur = await conn.execute("DELETE FROM bans WHERE kind = %s AND value = %s",
                                     (kind, value))
            removed = cur.rowcount > 0
        await self.refresh()
        if removed:
            log.info("event=ban_removed kind=%s value=%s", kind, value)
        return removed

    def all(self) -> list[Ban]:
        return list(self._bans.values())

    def covering(self, username: str | None, character: str | None, host: str) -> Ban | None:
        """The ban that keeps out a connection from host (with this account and character,
        once known), if any."""
        return (self._of_address(host)
                or (self._bans.get(("account", username.lower())) if username else None)
                or (self._bans.get(("character", character.lower())) if character else None))

    def _of_address(self, host: str) -> Ban | None:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
        return next((ban for network, ban in self._networks if address in network), None)
