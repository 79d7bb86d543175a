"""Building the world from inside the game: digging rooms, describing, renaming and linking
them, changing item templates (`reload world` is a staff operation: mud.ops.world).

A builder's change is written to the world overlay in PostgreSQL first and put into the live
world only once it is saved, so a failed write changes nothing. Changes are made one at a time
(mud.reload.world_changes), and the dispatcher audits every one.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import textwrap
import unicodedata
from collections.abc import Collection
from typing import Any

import psycopg

from mud.commands.context import Context
from mud.commands.registry import command
from mud.reload import world_changes
from mud.store.overlay import OverlayRepository
from mud.world.loader import DIRECTIONS, OPPOSITE, RoomTemplate
from mud.world.overlay import (
    ITEM_FIELDS,
    OverlayRoom,
    check_description,
    check_item_field,
    check_name,
)

log = logging.getLogger("mud.building")

ABBREVIATIONS = {direction[0]: direction for direction in DIRECTIONS}
DIRECTION_HELP = "north, east, south, west, up, down (or n, e, s, w, u, d)"
SLUG_MAX = 40  # characters of a room's name that make its id
DESCRIPTION_WIDTH = 78  # descriptions are wrapped like those in the world files
NEW_ROOM_DESCRIPTION = "A bare, unfinished place. Nothing here has been described yet."
SAVE_FAILED = "The change could not be saved, so nothing was changed. Try again in a moment."


def _direction(word: str) -> str | None:
    word = word.lower()
    word = ABBREVIATIONS.get(word, word)
    return word if word in DIRECTIONS else None


def room_id_for(name: str, taken: Collection[str]) -> str:
    """A room id made from name (`Old Mill` -> old_mill), with _2, _3... if it is taken."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower())[:SLUG_MAX].strip("_")
    if not slug[:1].isalpha():
        slug = f"room_{slug}".rstrip("_")
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}_{number}"
    return candidate


def _builder(ctx: Context) -> str:
    return ctx.session.account.username if ctx.session.account else ctx.ch.name


async def _save_rooms(ctx: Context, *rooms: RoomTemplate) -> bool:
    """Write rooms to the overlay, then put them into the live world. False (the builder told,
    nothing changed) when the write fails."""
    try:
        await OverlayRepository(ctx.server.pool).save_rooms(
            [OverlayRoom.of(room) for room in rooms], _builder(ctx))
    except psycopg.Error as exc:
        log.error("event=overlay_write_failed rooms=%s error=%r",
                  ",".join(room.id for room in rooms), str(exc))
        ctx.refuse(SAVE_FAILED)
        return False
    for room in rooms:
        ctx.game.set_room(room)
    return True


def _with_exit(room: RoomTemplate, name: str, target: str | None) -> RoomTemplate:
    """room with exit name leading to target (None: without that exit)."""
    exits = {k: v for k, v in room.exits.items() if k != name}
    if target is not None:
        exits[name] = target
    return dataclasses.replace(room, exits=exits)


def _taken_exit(ctx: Context, direction: str) -> bool:
    target = ctx.room.template.exits.get(direction)
    if target is not None:
        ctx.refuse(f"There is already an exit {direction} here, to "
                   f"{ctx.game.rooms[target].template.name}. Unlink it first.")
    return target is not None


@command("dig", role="builder", category="builder")
async def dig(ctx: Context) -> None:
    """Make a new room beyond an exit of this one, with the way back.

    Usage: dig <direction> <room name>      e.g. dig north Old Mill
    """
    word, _, name = ctx.args.partition(" ")
    direction, name = _direction(word), name.strip()
    if direction is None or not name:
        ctx.refuse(f"Usage: dig <direction> <room name>   (directions: {DIRECTION_HELP})")
        return
    problem = check_name(name)
    if problem is not None:
        ctx.refuse(problem)
        return
    async with world_changes:
        if _taken_exit(ctx, direction):
            return
        here = ctx.room.template
        room_id = room_id_for(name, ctx.game.rooms)
        ctx.target = room_id
        new = RoomTemplate(room_id, here.zone, name, NEW_ROOM_DESCRIPTION,
                           {OPPOSITE[direction]: here.id})
        if not await _save_rooms(ctx, new, _with_exit(here, direction, room_id)):
            return
    ctx.send(f"You dig {direction} and make {name} ({room_id}); its way back is "
             f"{OPPOSITE[direction]}.")
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} opens a way {direction}.", exclude=[ctx.ch])


async def _change_room(ctx: Context, problem: str | None, **fields: str) -> RoomTemplate | None:
    """Give this room new fields, unless problem (then refused); the room as it was, or None
    when nothing changed."""
    if problem is not None:
        ctx.refuse(problem)
        return None
    async with world_changes:
        here = ctx.room.template
        ctx.target = here.id
        if not await _save_rooms(ctx, dataclasses.replace(here, **fields)):
            return None
    return here


@command("describe", role="builder", category="builder")
async def describe(ctx: Context) -> None:
    """Give this room a new description (wrapped to the width of the world files).

    Usage: describe <text>
    """
    text = textwrap.fill(" ".join(ctx.args.split()), DESCRIPTION_WIDTH)
    problem = check_description(text) if text else "Usage: describe <text>"
    here = await _change_room(ctx, problem, description=text)
    if here is not None:
        ctx.send(f"You describe {here.name} anew:\n{text}")


@command("rename", role="builder", category="builder")
async def rename(ctx: Context) -> None:
    """Give this room a new name.

    Usage: rename <name>
    """
    name = ctx.args.strip()
    problem = check_name(name) if name else "Usage: rename <name>"
    here = await _change_room(ctx, problem, name=name, place="")  # place: made from the name
    if here is not None:
        ctx.send(f"This room ({here.id}) is now called {name}.")


@command("link", role="builder", category="builder")
async def link(ctx: Context) -> None:
    """Make an exit from this room to another, and the way back if it is free there.

    Usage: link <direction> <room id>      e.g. link east old_mill
    """
    words = ctx.args.split()
    direction = _direction(words[0]) if len(words) == 2 else None
    if direction is None:
        ctx.refuse(f"Usage: link <direction> <room id>   (directions: {DIRECTION_HELP})")
        return
    target_id = words[1].lower()
    ctx.target = target_id
    async with world_changes:
        here = ctx.room.template
        target = ctx.game.rooms.get(target_id)
        if target is None:
            ctx.refuse(f"There is no room '{target_id[:40]}'. Room ids are lowercase, "
                       "like village_square.")
            return
        if target.id == here.id:
            ctx.refuse("An exit cannot lead back into the room it leaves.")
            return
        if _taken_exit(ctx, direction):
            return
        back = OPPOSITE[direction]
        changed = [_with_exit(here, direction, target.id)]
        if back not in target.template.exits:
            changed.append(_with_exit(target.template, back, here.id))
        if not await _save_rooms(ctx, *changed):
            return
    ctx.send(f"You link {direction} to {target.template.name} ({target.id})"
             + (f", and {back} from there back here." if len(changed) == 2 else
                f". The way back ({back} from there) is taken already, so there is none."))
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} opens a way {direction}.", exclude=[ctx.ch])


@command("unlink", role="builder", category="builder")
async def unlink(ctx: Context) -> None:
    """Remove an exit from this room, and the way back if it leads here.

    Usage: unlink <direction | exit name>
    """
    words = ctx.args.split()
    if len(words) != 1:
        ctx.refuse("Usage: unlink <direction | exit name>")
        return
    name = _direction(words[0]) or words[0].lower()
    async with world_changes:
        here = ctx.room.template
        target_id = here.exits.get(name)
        if target_id is None:
            ctx.refuse(f"There is no exit '{name[:20]}' here.")
            return
        ctx.target = here.id
        target = ctx.game.rooms[target_id].template
        back = OPPOSITE.get(name, name)
        changed = [_with_exit(here, name, None)]
        if target.exits.get(back) == here.id and target.id != here.id:
            changed.append(_with_exit(target, back, None))
        if not await _save_rooms(ctx, *changed):
            return
    ctx.send(f"You remove the exit {name} (to {target.name})"
             + (f" and the way back ({back} from there)." if len(changed) == 2 else "."))
    ctx.game.tell_room(ctx.room, f"The way {name} closes.", exclude=[ctx.ch])


def _field_value(field: str, text: str) -> Any:
    """What a builder typed, in the shape world files give the field."""
    if field == "keywords":
        return text.lower().replace(",", " ").split()
    if field in ("damage", "armour") and text.isascii() and text.isdigit():
        return int(text)
    return text


@command("iedit", role="builder", category="builder")
async def iedit(ctx: Context) -> None:
    """Change a field of an item template: every such item changes at once.

    Usage: iedit <item id> <field> <value>
    Fields: name, description, keywords (words), damage (weapons), armour (armour).
    """
    words = ctx.args.split(maxsplit=2)
    if len(words) != 3:
        ctx.refuse(f"Usage: iedit <item id> <{'|'.join(ITEM_FIELDS)}> <value>")
        return
    item_id, field, text = words[0].lower(), words[1].lower(), words[2].strip()
    ctx.target = item_id
    async with world_changes:
        template = ctx.game.world.items.get(item_id)
        if template is None:
            ctx.refuse(f"There is no item '{item_id[:40]}' in world data.")
            return
        if template.kind == "essence":
            ctx.refuse("Essence items are made from essences.toml; change the essence there.")
            return
        value, problem = check_item_field(template, field, _field_value(field, text))
        if problem is not None:
            ctx.refuse(problem)
            return
        try:
            await OverlayRepository(ctx.server.pool).save_item_fields(
                item_id, {field: value}, _builder(ctx))
        except psycopg.Error as exc:
            log.error("event=overlay_write_failed item=%s error=%r", item_id, str(exc))
            ctx.refuse(SAVE_FAILED)
            return
        ctx.game.world.items[item_id] = dataclasses.replace(template, **{field: value})
    shown = ", ".join(value) if field == "keywords" else value
    ctx.send(f"Item {item_id}: {field} is now {shown}.")
