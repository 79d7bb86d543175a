"""Bonding, committed: the character with the bond applied is written in one transaction
before the live character changes, so a player is told of a bond only once it is saved, and
a failure anywhere leaves both the database and the game as they were."""

from __future__ import annotations

import logging

from psycopg import AsyncConnection

from mud.game import rules
from mud.game.bonding import BondPlan, GameError, apply_bond
from mud.game.model import Character, Part
from mud.store.saver import Saver

log = logging.getLogger("mud.bonds")

STATEMENT_TIMEOUT_MS = 5000  # a stuck database fails the bond instead of holding the player


async def commit_bond(saver: Saver, ch: Character, plan: BondPlan) -> None:
    """Commit plan, then apply it to ch. Raises GameError (nothing changed) on any failure."""
    staged = ch.detached_copy()
    apply_bond(staged, plan)

    async def check(conn: AsyncConnection) -> None:
        await conn.execute(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        cur = await conn.execute(
            "SELECT (SELECT count(*) FROM character_essences e WHERE e.character_id = c.id)"
            "  FROM characters c WHERE c.id = %s FOR UPDATE", (ch.id,))
        row = await cur.fetchone()
        if row is None:
            raise GameError("CHARACTER_NOT_FOUND",
                            "Your character could not be found in the records.")
        if row[0] >= rules.MAX_ESSENCES:
            raise GameError("MAX_ESSENCES_REACHED", "You already carry four bonded essences.")

    try:
        # what a bond touches (the item, the attribute, the essences) and whatever else of
        # the character is waiting to be saved
        await saver.commit_with(ch, staged, {Part.CORE, Part.INVENTORY, Part.ESSENCES}
                                | ch.dirty, check)
    except GameError:
        raise
    except Exception as exc:
        log.error("event=bond_failed code=DATABASE_ERROR character=%s error=%r",
                  ch.name, f"{type(exc).__name__}: {exc}".strip())
        raise GameError("DATABASE_ERROR", "The bond could not be saved, so it did not "
                                          "happen. Please try again in a moment.") from exc
    apply_bond(ch, plan)
