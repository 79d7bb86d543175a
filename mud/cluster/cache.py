"""The character cache in Redis: `<prefix>:character:<id>`, the whole aggregate as JSON, for five
minutes, so that a character coming back (to this process or another) need not be read from
PostgreSQL. Lookups go memory, then here, then PostgreSQL.

The rule that keeps it from ever being older than the database: an entry exists only for a
character that no process has in play, and it is exactly that character's last committed state.
- It is written in one step with the freeing of the lease (Leases.release), by the process that
  holds the lease, after the final save: never while the character plays, never by a process
  that lost the lease.
- It is taken out (GETDEL) in the step that brings the character into play, under the lease:
  while the character plays there is no entry, so a crash at any moment leaves either no entry
  (the next load reads PostgreSQL, which has every committed change) or the final state.
- A character loaded while Redis was away may have left an entry: it is dropped when Redis
  returns, before anything else is done with it (mud.lifecycle).
- A change made to a character from outside the game (SQL, a tool) drops its entry: a trigger
  notifies every process (sql/0004_character_change_notices.sql, ChangeListener), and the first
  process to start empties the cache, as nobody heard of changes made meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import psycopg
from psycopg import sql

from mud.cluster.redis import RedisLink
from mud.game.model import Character
from mud.store.shape import SIGNATURE, character_from_json, character_to_json
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.cache")

TTL_SECONDS = 300
NOTIFY_CHANNEL = "mud_character_changed"


def to_json(ch: Character) -> str:
    """Everything saved about a character (its active quests and finished quest ids), as a load
    from the database gives it (mud.store.shape), marked with the shape's signature."""
    return json.dumps({"shape": SIGNATURE, **character_to_json(ch)})


def from_json(raw: str | bytes) -> Character:
    """Raises ValueError for an entry of another shape (written by another version)."""
    data = json.loads(raw)
    if data["shape"] != SIGNATURE:
        raise ValueError("a cache entry of another shape")
    return character_from_json(data)


class CharacterCache:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self.link = link
        self.prefix = prefix
        self.hits = 0
        self.misses = 0

    def key(self, character_id: uuid.UUID) -> str:
        return f"{self.prefix}:character:{character_id}"

    def name_key(self, name: str) -> str:
        return f"{self.prefix}:charname:{name.lower()}"

    def entries(self, ch: Character) -> list[tuple[str, str]]:
        """The keys and values that cache ch as it is now: for Leases.release to write as the
        lease is freed, after the final save."""
        return [(self.key(ch.id), to_json(ch)), (self.name_key(ch.name), str(ch.id))]

    async def take(self, character_id: uuid.UUID) -> Character | None:
        """The cached character, taken out of the cache (it is coming into play)."""
        return await self._read(character_id, lambda r: r.getdel(self.key(character_id)))

    async def peek(self, character_id: uuid.UUID) -> Character | None:
        """The cached character, left in the cache (to look at, not to play)."""
        return await self._read(character_id, lambda r: r.get(self.key(character_id)))

    async def _read(self, character_id: uuid.UUID, read: Any) -> Character | None:
        raw = await self.link.call(read, None)
        if raw is None:
            self.misses += 1
            return None
        try:
            ch = from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("event=cache_entry_unreadable character=%s", character_id)
            await self.forget(character_id)
            self.misses += 1
            return None
        self.hits += 1
        return ch

    async def by_name(self, name: str) -> Character | None:
        """A cached character by its name (for `finger` of offline characters)."""
        raw = await self.link.call(lambda r: r.get(self.name_key(name)), None)
        return None if raw is None else await self.peek(uuid.UUID(raw.decode()))

    async def forget(self, character_id: uuid.UUID) -> None:
        await self.link.call(lambda r: r.delete(self.key(character_id)), None)

    async def forget_many(self, character_ids: list[uuid.UUID]) -> None:
        if character_ids:
            keys = [self.key(cid) for cid in character_ids]
            await self.link.call(lambda r: r.delete(*keys), None)

    async def forget_all(self) -> int:
        """Drop every entry (at start when no other process was up to hear of changes)."""

        async def purge(r: Any) -> int:
            dropped = 0
            async for key in r.scan_iter(match=f"{self.prefix}:character:*", count=500):
                dropped += await r.delete(key)
            return dropped

        return await self.link.call(purge, 0)


class ChangeListener:
    """LISTENs for changes made to characters from outside the game and drops their cache
    entries (the game's own writes set mud.writer = 'game' and notify nothing)."""

    def __init__(self, url: str, cache: CharacterCache) -> None:
        self.url = url
        self.cache = cache
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="change-listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url,
                                                                 autocommit=True) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(
                        sql.Identifier(NOTIFY_CHANNEL)))
                    self.listening.set()
                    backoff = 0.5
                    async for notice in conn.notifies():
                        with contextlib.suppress(ValueError):
                            await self.cache.forget(uuid.UUID(notice.payload))
            except (psycopg.Error, OSError) as exc:
                self.listening.clear()
                log.warning("event=change_listener_lost error=%r retry_in=%.1fs", str(exc),
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)

