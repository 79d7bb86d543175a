"""The write-behind saver.

Changes mark characters dirty; every interval the saver takes a snapshot of every dirty
character synchronously (no await while it copies, so the snapshot is one instant of the game)
and writes it in one transaction with one batched statement per table. A failed write puts the
characters back as dirty and retries with backoff while play goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from mud.game.model import Character, Part

log = logging.getLogger("mud.saver")

MAX_BACKOFF = 60.0
CHECKOUT_TIMEOUT = 3.0  # a database that is away fails a flush quickly; it is retried


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _instant(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


@dataclass
class Snapshot:
    """Plain rows copied out of dirty characters, ready for SQL."""

    parts: dict[uuid.UUID, set[Part]] = field(default_factory=dict)
    changed_abilities: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    characters: dict[uuid.UUID, Character] = field(default_factory=dict)
    core: list[tuple] = field(default_factory=list)
    inventory: list[tuple] = field(default_factory=list)
    essences: list[tuple] = field(default_factory=list)
    abilities: list[tuple] = field(default_factory=list)
    quests: list[tuple] = field(default_factory=list)
    skills: list[tuple] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.parts)

    def owners(self, part: Part) -> list[uuid.UUID]:
        return [cid for cid, parts in self.parts.items() if part in parts]

    def add(self, ch: Character, parts: set[Part], live: Character | None = None) -> None:
        """Copy parts of ch; live is the game's character when ch is a staged copy of it."""
        self.parts[ch.id] = parts
        self.characters[ch.id] = live or ch
        if Part.CORE in parts:
            self.core.append((ch.id, ch.rank, ch.power, ch.speed, ch.spirit, ch.recovery,
                              ch.room_id, ch.health, ch.mana, ch.stamina,
                              ch.inventory_expansion, _instant(ch.weak_until), ch.frozen,
                              ch.prompt, ch.colour))
        if Part.INVENTORY in parts:
            self.inventory.extend((i.id, ch.id, i.item_id, i.quantity, i.slot, _json(i.metadata))
                                  for i in ch.inventory)
        if Part.ESSENCES in parts:
            self.essences.extend((e.id, ch.id, e.essence_type, e.attribute_bound, e.rank_bonded)
                                 for e in ch.essences)
        if Part.ESSENCES in parts or Part.ABILITIES in parts:
            changed = set(ch.changed_abilities)
            self.changed_abilities[ch.id] = changed
            whole = Part.ESSENCES in parts
            self.abilities.extend((a.id, ch.id, a.essence_id, a.ability_name, a.current_rank,
                                   a.awakened, _json(a.metadata))
                                  for a in ch.abilities if whole or a.id in changed)
        if Part.QUESTS in parts:
            self.quests.extend((q.id, ch.id, q.quest_id, q.status, _json(q.progress),
                                q.completed_at) for q in ch.quests)
        if Part.SKILLS in parts:
            self.skills.extend((s.id, ch.id, s.skill_id, s.level, s.experience)
                               for s in ch.skills)


@dataclass(frozen=True)
class ChildTable:
    """A table of rows a character owns, synchronised from memory by the saver."""

    name: str
    columns: tuple[str, ...]  # as in the snapshot rows; "id" and "character_id" come first
    scope: str = ""  # which of an owner's rows memory holds (all unless given)

    @property
    def staging(self) -> str:
        return f"save_{self.name}"


# table names and columns below are constants of this module, never input
INVENTORY = ChildTable("character_inventory",
                       ("id", "character_id", "item_id", "quantity", "slot", "metadata"))
ESSENCES = ChildTable("character_essences", ("id", "character_id", "essence_type",
                                             "attribute_bound", "rank_bonded"))
ABILITIES = ChildTable("character_abilities", ("id", "character_id", "essence_id",
                                               "ability_name", "current_rank", "awakened",
                                               "metadata"))
QUESTS = ChildTable("character_quests", ("id", "character_id", "quest_id", "status",
                                         "progress", "completed_at"),
                    scope="status = 'active'")
SKILLS = ChildTable("character_skills", ("id", "character_id", "skill_id", "level",
                                         "experience"))

# Staging tables live per connection and empty themselves at commit. COPY into them and one
# statement from them is several times faster than a statement per row or unnest() arrays.
_STAGING = "".join(
    f"CREATE TEMP TABLE IF NOT EXISTS {t.staging} (LIKE {t.name}) ON COMMIT DELETE ROWS;"
    for t in (INVENTORY, ESSENCES, ABILITIES, QUESTS, SKILLS)) + """
CREATE TEMP TABLE IF NOT EXISTS save_characters (
    id uuid, rank text, power int, speed int, spirit int, recovery int, room text,
    health int, mana int, stamina int, expansion int, weak_until timestamptz,
    frozen boolean, prompt text, colour boolean)
    ON COMMIT DELETE ROWS;
"""


async def _copy(conn: AsyncConnection, statement: str, rows: list[tuple]) -> None:
    async with conn.cursor().copy(statement) as copy:
        for row in rows:
            await copy.write_row(row)


async def _sync(conn: AsyncConnection, table: ChildTable, owners: list[uuid.UUID],
                rows: list[tuple]) -> None:
    """Make the owners' rows of one table equal to rows: COPY them to staging, delete the rows
    memory no longer has, insert new rows and update changed ones (unchanged rows are not
    written, and keep their created_at). Rows of characters not among owners are upserted
    alone: only those rows changed."""
    if not owners and not rows:
        return
    columns = ", ".join(table.columns)
    values = table.columns[2:]
    scope = f" AND t.{table.scope}" if table.scope else ""
    await _copy(conn, f"COPY {table.staging} ({columns}) FROM STDIN", rows)
    if owners:
        await conn.execute(
            f"DELETE FROM {table.name} AS t WHERE t.character_id = ANY(%s){scope}"
            f" AND NOT EXISTS (SELECT 1 FROM {table.staging} AS s WHERE s.id = t.id)",
            (owners,))
    await conn.execute(
        f"INSERT INTO {table.name} AS t ({columns}) SELECT {columns} FROM {table.staging}"
        f" ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in values)
        + f" WHERE ({', '.join(f't.{c}' for c in values)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in values)})")


Check = Callable[[AsyncConnection], Awaitable[None]]


async def write_snapshot(conn: AsyncConnection, snap: Snapshot, check: Check | None = None
                         ) -> None:
    """Write a snapshot in one transaction (after check, which may raise to write nothing).
    Characters: COPY to staging and one UPDATE. Each owned collection: COPY to staging, one
    DELETE and one upserting INSERT."""
    async with conn.transaction():
        if check is not None:
            await check(conn)
        await conn.execute(_STAGING)
        if snap.core:
            await _copy(conn, "COPY save_characters FROM STDIN", snap.core)
            await conn.execute(
                "UPDATE characters AS c SET rank = v.rank, power = v.power, speed = v.speed,"
                " spirit = v.spirit, recovery = v.recovery, current_room_id = v.room,"
                " health = v.health, mana = v.mana, stamina = v.stamina,"
                " inventory_expansion = v.expansion, weak_until = v.weak_until, frozen = v.frozen,"
                " prompt = v.prompt, colour = v.colour, updated_at = now()"
                " FROM save_characters AS v WHERE c.id = v.id")
        await _sync(conn, INVENTORY, snap.owners(Part.INVENTORY), snap.inventory)
        # essences first: removing one removes its abilities (ON DELETE CASCADE)
        await _sync(conn, ESSENCES, snap.owners(Part.ESSENCES), snap.essences)
        await _sync(conn, ABILITIES, snap.owners(Part.ESSENCES), snap.abilities)
        # only active quests live in memory: finished ones stay in the table untouched
        await _sync(conn, QUESTS, snap.owners(Part.QUESTS), snap.quests)
        await _sync(conn, SKILLS, snap.owners(Part.SKILLS), snap.skills)


@dataclass
class SaverStats:
    flushes: int = 0
    failures: int = 0
    last_flush_at: float | None = None
    last_duration: float = 0.0
    last_count: int = 0
    last_error: str | None = None


class Saver:
    def __init__(self, pool: AsyncConnectionPool, interval: float) -> None:
        self._pool = pool
        self.interval = interval
        self._dirty: dict[uuid.UUID, Character] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._backoff = 0.0
        self.stats = SaverStats()
        self.after_flush: Callable[[], None] | None = None

    # -- tracking -------------------------------------------------------------------------------

    def track(self, ch: Character) -> None:
        """Called by Character.mark: remember the character until its changes are written."""
        self._dirty[ch.id] = ch

    def attach(self, ch: Character) -> None:
        ch.on_dirty = self.track
        if ch.dirty:
            self.track(ch)

    @property
    def dirty_count(self) -> int:
        return len(self._dirty)

    def is_pending(self, ch: Character) -> bool:
        return ch.id in self._dirty

    def snapshot(self, keep: Character | None = None) -> Snapshot:
        """Copy out every dirty character (but keep, which stays dirty) and clear their flags.
        Synchronous on purpose: the snapshot is one instant of the game."""
        snap = Snapshot()
        for ch in self._dirty.values():
            if ch.dirty and ch is not keep:
                snap.add(ch, set(ch.dirty))
                ch.dirty.clear()
                ch.changed_abilities.clear()
        self._dirty = {keep.id: keep} if keep is not None and keep.id in self._dirty else {}
        return snap

    def restore(self, snap: Snapshot) -> None:
        """A write failed: mark everything in the snapshot dirty again."""
        for cid, parts in snap.parts.items():
            ch = snap.characters[cid]
            ch.dirty |= parts
            ch.changed_abilities |= snap.changed_abilities.get(cid, set())
            self._dirty[cid] = ch

    # -- writing --------------------------------------------------------------------------------

    async def _write(self, snap: Snapshot, check: Check | None = None) -> None:
        """Write snap; on success record the flush, on any failure restore the flags."""
        started = time.perf_counter()
        try:
            async with self._pool.connection(timeout=CHECKOUT_TIMEOUT) as conn:
                await write_snapshot(conn, snap, check)
        except BaseException:
            self.restore(snap)
            raise
        duration = time.perf_counter() - started
        self._backoff = 0.0
        self.stats.flushes += 1
        self.stats.last_flush_at = time.time()
        self.stats.last_duration = duration
        self.stats.last_count = len(snap)
        self.stats.last_error = None
        log.debug("event=flush characters=%d ms=%.1f", len(snap), duration * 1000)
        if self.after_flush is not None:
            self.after_flush()

    async def flush(self) -> bool:
        """Write every dirty character now. True when the database has committed all of it."""
        async with self._lock:
            snap = self.snapshot()
            if not snap:
                return True
            try:
                await self._write(snap)
            except Exception as exc:
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}".strip()
                self._backoff = min(MAX_BACKOFF, max(self.interval, self._backoff * 2 or 1.0))
                log.error("event=flush_failed characters=%d error=%r retry_in=%.1fs",
                          len(snap), self.stats.last_error, self._backoff)
                return False
            return True

    async def commit_with(self, live: Character, staged: Character, parts: set[Part],
                          check: Check) -> None:
        """Commit a change the player must not hear of before it is saved: staged (a changed
        copy of live) goes in one transaction with every other dirty character, after check.
        Raises what check or the database raised, and then nothing was written. Flushing the
        others too keeps a change between two characters (a gift) saved whole or not at all."""
        async with self._lock:
            snap = self.snapshot(keep=live)
            snap.add(staged, parts, live=live)
            await self._write(snap, check)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._backoff or self.interval)
            if self._dirty:
                await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="saver")

    async def stop(self) -> None:
        """Stop the periodic loop; holding the lock means no write is cut in half."""
        if self._task is not None:
            async with self._lock:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
