"""The wizlock: while it is on, only wizards and admins may log in (those in the game stay). It
holds on every process of the game, and for processes started later: the flag is kept in
Redis and changes are announced on the bus."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mud.ops.base import Actor, Result, Usage, operation
from mud.roles import role_allows

if TYPE_CHECKING:
    from mud.ops.staff import Bus, Spawn, Staff

log = logging.getLogger("mud.ops")

T = TypeVar("T")


class Link(Protocol):
    """Redis, when it is there (mud.cluster.redis.RedisLink)."""

    async def call(self, work: Callable[[Any], Awaitable[T]], fallback: T) -> T: ...


class Wizlock:
    def __init__(self, bus: Bus, redis_prefix: str, spawn: Spawn) -> None:
        self.locked = False
        self._bus = bus
        self._key = f"{redis_prefix}:wizlock"
        self._spawn = spawn
        bus.handlers["wizlock"] = self._on_message

    async def load(self) -> None:
        """Take up the flag the game's other processes left (at start)."""
        key = self._key
        self.locked = bool(await self._bus.link.call(lambda r: r.exists(key), 0))

    def set(self, locked: bool) -> None:
        """Lock or open the game on every process, and for processes started later."""
        self.locked = locked
        log.warning("event=wizlock locked=%s", locked)
        key = self._key
        self._spawn(self._bus.link.call(
            lambda r: r.set(key, "1") if locked else r.delete(key), None))
        self._spawn(self._bus.announce("wizlock", locked=locked))

    def keeps_out(self, username: str | None, role: str) -> bool:
        """Whether the wizlock refuses a login (once its account is known)."""
        return self.locked and username is not None and not role_allows(role, "wizard")

    def _on_message(self, message: dict[str, Any]) -> None:
        self.locked = bool(message.get("locked"))


@operation("wizlock", "wizlock [on | off]")
async def wizlock(staff: Staff, actor: Actor, args: str) -> Result:
    """Close the game to players and builders (wizards may still log in), or open it again.

    Players already in stay. Alone, it says whether the game is locked.
    """
    word = args.lower()
    if word not in ("", "on", "off"):
        raise Usage
    if word:
        staff.wizlock.set(word == "on")
    locked = staff.wizlock.locked
    return Result(True, "The game is wizlocked: only wizards and admins may log in." if locked
                  else "The game is open to everyone.", {"locked": locked})
