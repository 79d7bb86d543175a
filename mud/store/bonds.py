"""Bonding, committed: the character with the bond applied is written in one transaction
before the live character changes, so a player is told of a bond only once it is saved, and
a failure anywhere leaves both the database and the game as they were."""

from __future__ import annotations

import logging

from psycopg_pool import AsyncConnectionPool

from mud.game import rules
from mud.game.bonding import BondPlan, GameError, apply_bond
from mud.game.model import Character, Part
from mud.store.saver import CHECKOUT_TIMEOUT, Saver, Snapshot, write_snapshot

log = logging.getLogger("mud.bonds")

STATEMENT_TIMEOUT_MS = 5000  # a stuck database fails the bond instead of holding the player


async def commit_bond(pool: AsyncConnectionPool, saver: Saver, ch: Character,
                      plan: BondPlan) -> None:
    """Commit plan, then apply it to ch. Raises GameError (nothing changed) on any failure."""
    async with saver.exclusive():  # no flush of older state may land after this commit
        staged = ch.detached_copy()
        apply_bond(staged, plan)
        snapshot = Snapshot()
        snapshot.add(staged, set(Part))
        try:
            async with pool.connection(timeout=CHECKOUT_TIMEOUT) as conn, conn.transaction():
                await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
                cur = await conn.execute(
                    "SELECT (SELECT count(*) FROM character_essences e"
                    "         WHERE e.character_id = c.id)"
                    "  FROM characters c WHERE c.id = %s FOR UPDATE", (ch.id,))
                row = await cur.fetchone()
                if row is None:
                    raise GameError("CHARACTER_NOT_FOUND",
                                    "Your character could not be found in the records.")
                if row[0] >= rules.MAX_ESSENCES:
                    raise GameError("MAX_ESSENCES_REACHED",
                                    "You already carry four bonded essences.")
                await write_snapshot(conn, snapshot)
        except GameError:
            raise
        except Exception as exc:
            log.error("event=bond_failed code=DATABASE_ERROR character=%s error=%r",
                      ch.name, f"{type(exc).__name__}: {exc}".strip())
            raise GameError("DATABASE_ERROR", "The bond could not be saved, so it did not "
                                              "happen. Please try again in a moment.") from exc
        apply_bond(ch, plan)
