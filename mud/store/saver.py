"""The write-behind saver.

Changes mark characters dirty; every interval the saver takes a snapshot of every dirty
character synchronously (no await while it copies, so the snapshot is one instant of the game)
and writes it in one transaction with one batched statement per table. A failed write puts the
characters back as dirty and retries with backoff while play goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from mud.game.model import Character, Part
from mud.store.shape import CHARACTERS, CHILDREN, ChildTable, Table, use_dumpers

log = logging.getLogger("mud.saver")

MAX_BACKOFF = 60.0
CHECKOUT_TIMEOUT = 3.0  # a database that is away fails a flush quickly; it is retried


# per part, the owned tables it has the saver write whole, and those only in changed rows
_WHOLE = {part: tuple(t for t in CHILDREN if t.part is part) for part in Part}
_TOUCHED = {part: tuple(t for t in CHILDREN if t.touched is part) for part in Part}


@dataclass
class Snapshot:
    """Plain rows copied out of dirty characters, ready for SQL: per table (by name), the rows
    in the order of its staging columns."""

    parts: dict[uuid.UUID, set[Part]] = field(default_factory=dict)
    changed_abilities: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    characters: dict[uuid.UUID, Character] = field(default_factory=dict)
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {t.name: [] for t in (CHARACTERS, *CHILDREN)})

    def __len__(self) -> int:
        return len(self.parts)

    def owners(self, part: Part) -> list[uuid.UUID]:
        return [cid for cid, parts in self.parts.items() if part in parts]

    def add(self, ch: Character, parts: set[Part], live: Character | None = None) -> None:
        """Copy parts of ch; live is the game's character when ch is a staged copy of it."""
        self.parts[ch.id] = parts
        self.characters[ch.id] = live or ch
        if ch.changed_abilities:
            self.changed_abilities[ch.id] = set(ch.changed_abilities)
        if CHARACTERS.part in parts:
            self.rows[CHARACTERS.name].append(CHARACTERS.saved.values(ch))
        for part in parts:
            for table in _WHOLE[part]:
                self._stage(table, ch.id, table.rows_of(ch))
            for table in _TOUCHED[part]:
                if table.part not in parts:  # else written whole
                    changed = ch.changed_abilities
                    self._stage(table, ch.id, [r for r in table.rows_of(ch) if r.id in changed])

    def _stage(self, table: ChildTable, owner: uuid.UUID, rows: list[Any]) -> None:
        values = table.saved.values
        self.rows[table.name].extend(values(owner, row) for row in rows)


def _staging(table: Table) -> str:
    """A temporary table of the columns the saver writes, as Snapshot rows hold them."""
    return (f"CREATE TEMP TABLE IF NOT EXISTS {table.staging} ON COMMIT DELETE ROWS AS"
            f" SELECT {', '.join(table.saved.names)} FROM {table.name} WITH NO DATA;")


# Staging tables live per connection and empty themselves at commit. COPY into them and one
# statement from them is several times faster than a statement per row or unnest() arrays.
# Table and column names come from mud.store.shape's constants, never from input.
_STAGING = "".join(_staging(t) for t in (CHARACTERS, *CHILDREN))


def _update_core() -> str:
    key = CHARACTERS.key
    assignments = [f"{c} = s.{c}" for c in CHARACTERS.saved.names if c != key]
    if CHARACTERS.stamp:
        assignments.append(f"{CHARACTERS.stamp} = now()")
    return (f"UPDATE {CHARACTERS.name} AS t SET {', '.join(assignments)}"
            f" FROM {CHARACTERS.staging} AS s WHERE t.{key} = s.{key}")


_UPDATE_CORE = _update_core()


async def _copy(conn: AsyncConnection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    cursor = conn.cursor()
    use_dumpers(cursor.adapters)
    columns = ", ".join(table.saved.names)
    async with cursor.copy(f"COPY {table.staging} ({columns}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row(row)


async def _sync(conn: AsyncConnection, table: ChildTable, owners: list[uuid.UUID],
                rows: list[tuple[Any, ...]]) -> None:
    """Make the owners' rows of one table equal to rows: COPY them to staging, delete the rows
    memory no longer has (of those in the table's scope), insert new rows and update changed
    ones (unchanged rows are not written, and keep their created_at). Rows of characters not
    among owners are upserted alone: only those rows changed."""
    if not owners and not rows:
        return
    columns = table.saved.names
    key = table.key
    values = [c for c in columns if c not in (table.owner, key)]
    await _copy(conn, table, rows)
    if owners:
        scope, params = "", [owners]
        if table.scope is not None:
            scope = f" AND t.{table.scope[0]} = %s"
            params.append(table.scope[1])
        await conn.execute(
            f"DELETE FROM {table.name} AS t WHERE t.{table.owner} = ANY(%s){scope}"
            f" AND NOT EXISTS (SELECT 1 FROM {table.staging} AS s WHERE s.{key} = t.{key})",
            params)
    listed = ", ".join(columns)
    await conn.execute(
        f"INSERT INTO {table.name} AS t ({listed}) SELECT {listed} FROM {table.staging}"
        f" ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in values)
        + f" WHERE ({', '.join(f't.{c}' for c in values)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in values)})")


Check = Callable[[AsyncConnection], Awaitable[None]]


async def write_snapshot(conn: AsyncConnection, snap: Snapshot, check: Check | None = None
                         ) -> None:
    """Write a snapshot in one transaction (after check, which may raise to write nothing).
    Characters: COPY to staging and one UPDATE. Each owned collection: COPY to staging, one
    DELETE and one upserting INSERT, in the order of shape.CHILDREN (essences before their
    abilities: removing an essence removes its abilities, ON DELETE CASCADE). Of a scoped table
    (quests: only active ones live in memory) rows out of scope stay untouched."""
    async with conn.transaction():
        if check is not None:
            await check(conn)
        await conn.execute(_STAGING)
        core = snap.rows[CHARACTERS.name]
        if core:
            await _copy(conn, CHARACTERS, core)
            await conn.execute(_UPDATE_CORE)
        for table in CHILDREN:
            await _sync(conn, table, snap.owners(table.part), snap.rows[table.name])


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
