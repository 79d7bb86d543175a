"""Reloading world data into the running game without a restart: the files and the builders'
overlay are loaded and checked first, and only a world that passes replaces the live one.
Players stay connected and where they are, unless their room is gone: then they are moved to a
safe room and told. Free of telnet: the `reload world` command and the operator console both
call reload_world(server)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from mud.config import Settings
from mud.game.abilities import awaken
from mud.game.clock import Clock
from mud.game.containers import contents
from mud.game.fighting import disengage
from mud.game.model import Character
from mud.game.state import Game, Room
from mud.store.overlay import OverlayRepository
from mud.world.loader import World, WorldError, load_world
from mud.world.overlay import apply_overlay

log = logging.getLogger("mud.reload")

SHOWN_PROBLEMS = 5  # problems a report spells out; the log has them all

# One change to the world at a time in this process: builder commands and reloads read the
# world, write the overlay and change the live world under it.
world_changes = asyncio.Lock()


class Reloadable(Protocol):
    """What a reload reads and changes of the running server."""

    settings: Settings
    pool: AsyncConnectionPool
    game: Game
    world: World
    clock: Clock

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[None]: ...


@dataclass
class ReloadReport:
    rooms: int = 0
    items: int = 0
    overlay_rooms: int = 0
    overlay_items: int = 0
    moved: list[str] = field(default_factory=list)  # characters taken to a safe room
    problems: list[str] = field(default_factory=list)  # why nothing was reloaded
    left_out: list[str] = field(default_factory=list)  # overlay entries the files no longer fit

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.problems:
            return (f"World not reloaded: {len(self.problems)} problem(s); nothing changed. "
                    "Fix them and reload again:" + _listed(self.problems))
        moved = ", ".join(self.moved) or "none"
        return (f"World reloaded: {self.rooms} rooms and {self.items} items "
                f"({self.overlay_rooms} rooms and {self.overlay_items} items changed by "
                f"builders). Moved to a safe room: {moved}."
                + (" Left out of the builders' changes, as the files no longer fit them:"
                   + _listed(self.left_out) if self.left_out else ""))


def _listed(lines: list[str]) -> str:
    more = len(lines) - SHOWN_PROBLEMS
    return "".join(f"\n  {line}" for line in lines[:SHOWN_PROBLEMS]) + \
        (f"\n  ... and {more} more (see the server log)." if more > 0 else "")


async def with_overlay(world: World, pool: AsyncConnectionPool) -> tuple[World, ReloadReport]:
    """world with the stored overlay applied; the report counts what the overlay changed and
    lists what it left out (also logged)."""
    overlay = await OverlayRepository(pool).load()
    overlaid, left_out = apply_overlay(world, overlay)
    for problem in left_out:
        log.warning("event=overlay_left_out problem=%r", problem)
    return overlaid, ReloadReport(len(overlaid.rooms), len(overlaid.items),
                                  len(overlay.rooms), len(overlay.items), left_out=left_out)


def _missing_items(game: Game, world: World) -> list[str]:
    """Items characters in memory hold that world no longer has (they would break)."""
    problems = []
    for ch in game.characters.values():
        held = {row.item_id for row in ch.inventory}
        held |= {c.item_id for row in ch.inventory for c in contents(row)}
        problems += [f"item '{item_id}' is carried by {ch.name} but is no longer in world data"
                     for item_id in sorted(held - world.items.keys())]
    return problems


async def reload_world(server: Reloadable) -> ReloadReport:
    """Load the files and the overlay; if they pass, swap them into the live game."""
    async with world_changes:
        try:
            files = await asyncio.to_thread(load_world, server.settings.world_path)
            world, report = await with_overlay(files, server.pool)
        except WorldError as exc:
            for problem in exc.problems:
                log.warning("event=reload_refused problem=%r", problem)
            return ReloadReport(problems=exc.problems)
        except psycopg.Error as exc:
            log.error("event=reload_refused error=%r", str(exc))
            return ReloadReport(problems=["the builders' changes could not be read from the "
                                          f"database ({type(exc).__name__}); try again soon"])
        report.problems = _missing_items(server.game, world)
        if report.problems:
            return report
        report.moved = _swap(server, world)
    log.info("event=world_reloaded rooms=%d items=%d moved=%d left_out=%d", report.rooms,
             report.items, len(report.moved), len(report.left_out))
    return report


def _swap(server: Reloadable, world: World) -> list[str]:
    """Put world into play (no await: one instant of the game); returns who was moved."""
    game = server.game
    for ch in game.present():
        if ch.fighting is not None or any(ch in mob.attackers for mob in game.fights):
            disengage(game, ch)
            game.tell(ch, "The world shifts around you, and your fight is over.")
    gone = game.use_world(world)
    server.world = world
    now = server.game.now()
    clock = server.clock
    clock.next_reset = {zone_id: clock.next_reset.get(zone_id, now + zone.reset)
                        for zone_id, zone in world.zones.items()}
    for ch in game.characters.values():
        awaken(ch, world.essences)  # world data may have moved an awakening rank
    game.tell_all("The world shimmers as it is remade around you.")
    moved = []
    for room in gone:
        for ch in room.occupants:
            _to_safety(game, ch, room)
            moved.append(ch.name)
    return moved


def _to_safety(game: Game, ch: Character, gone: Room) -> None:
    """Place ch, whose room is gone, in its zone's recovery room or the start room."""
    zone = game.world.zones.get(gone.template.zone)
    safe = zone.recovery_room if zone and zone.recovery_room else game.world.start_room
    ch.move_to(safe)
    room = game.place(ch)
    game.tell(ch, f"The room you were in, {gone.template.name}, is no more; you find yourself "
                  f"{room.template.where}.")
    game.tell_room(room, f"{ch.name} appears, looking bewildered.", exclude=[ch])
    log.info("event=moved_to_safety character=%s from=%s to=%s", ch.name, gone.id, room.id)
