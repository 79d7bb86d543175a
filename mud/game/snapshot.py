"""The world snapshot of a hot reboot: what the running world holds that PostgreSQL does not, so
that the next world process carries on where this one stopped. It holds the floor items of
every room, each spawn slot's monster (alive with its health and ability cooldowns, or dead
with the time left until it respawns), what each shop has for sale with its restock timer, the
groups and who follows whom (by character id: the characters come back to them as they attach
again), and the zones' reset timers. Characters are not in it
(they are saved and loaded again), nor are fights (monsters keep their health, their attackers
are dropped), nor channel history (PostgreSQL keeps it: mud.store.channels).

Times are kept as seconds left at `taken_at` (the game's clock when taken); a restore counts
the time the world was down against them, so a timer that ran out meanwhile fires at the next
tick and the others when they were planned. A restore over a changed world skips what no
longer fits and says what it skipped."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import tempfile
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

from mud.game.clock import Clock
from mud.game.mobs import SpawnSlot
from mud.game.shops import Shop
from mud.game.state import FloorItem, Game, Room

log = logging.getLogger("mud.snapshot")

VERSION = 1


# -- taking ---------------------------------------------------------------------------------


def take(game: Game, clock: Clock | None = None) -> dict[str, Any]:
    """What game holds that PostgreSQL does not, as plain data (JSON or msgpack hold it). The
    zones' reset timers are the tick's own: they are in it when clock is given."""
    now = game.now()
    data: dict[str, Any] = {
        "version": VERSION,
        "taken_at": now,
        "rooms": {room_id: [_floor_item(f) for f in room.items]
                  for room_id, room in game.rooms.items()},
        "monsters": [_slot(game, slot, now) for slot in game.slots],
        "shops": {shop_id: {"stock": dict(shop.stock), "restock_in": shop.restock_at - now}
                  for shop_id, shop in game.shops.items()},
        "groups": game.groups.taken(),
    }
    if clock is not None:
        data["zone_resets"] = {zone_id: due - now for zone_id, due in clock.next_reset.items()}
    return data


def _floor_item(item: FloorItem) -> dict[str, Any]:
    return {"item": item.item_id, "quantity": item.quantity,
            "metadata": copy.deepcopy(item.metadata) if item.metadata else None}


def _slot(game: Game, slot: SpawnSlot, now: float) -> dict[str, Any]:
    entry: dict[str, Any] = {"room": slot.room_id, "monster": slot.monster_id}
    mob = slot.mob
    if mob is not None and mob.alive:
        entry |= {"alive": True, "health": mob.health,
                  "cooldowns": {name: end - now for name, end in mob.ready_at.items()
                                if end > now}}
    else:  # dead (or, between a blow and its death, at 0 health: it dies now)
        died_at = now if mob is not None else slot.died_at
        respawn = game.world.monsters[slot.monster_id].respawn
        entry |= {"alive": False, "respawn_in": died_at + respawn - now}
    return entry


# -- restoring ------------------------------------------------------------------------------


def restore(game: Game, data: dict[str, Any], clock: Clock | None = None) -> list[str]:
    """Put data (from take) into a freshly built game: its floor items replace those the world
    placed, its monsters' health and timers replace the fresh spawns', its zone reset timers
    the clock's (when clock is given). Whatever no longer fits the game's world is skipped;
    returns a short description of each thing skipped."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        return [f"snapshot version {version!r} is not {VERSION}: nothing restored"]
    now = game.now()
    taken_at = data.get("taken_at")
    # the time the world was down counts against every timer (never backwards)
    down = max(0.0, now - taken_at) if _is_number(taken_at) else 0.0
    skipped: list[str] = []
    _restore_rooms(game, data.get("rooms"), skipped)
    _restore_monsters(game, data.get("monsters"), now - down, skipped)
    _restore_shops(game, data.get("shops", {}), now - down, skipped)
    if "groups" in data:
        skipped += game.groups.restore(data["groups"])
    resets = data.get("zone_resets")
    if resets is not None:
        if clock is None:
            skipped.append("zone reset timers: no clock to restore them to")
        else:
            _restore_resets(game, clock, resets, now - down, skipped)
    return skipped


def _restore_rooms(game: Game, rooms: Any, skipped: list[str]) -> None:
    if not isinstance(rooms, dict):
        skipped.append("floor items: not a table of rooms")
        return
    for room_id, items in rooms.items():
        room = game.rooms.get(room_id)
        if room is None:
            count = len(items) if isinstance(items, list) else 0
            skipped.append(f"room {room_id} ({count} floor item(s)): not in the world")
            continue
        if not isinstance(items, list):
            skipped.append(f"room {room_id}: floor items are not a list")
            continue
        room.items = []
        for entry in items:
            _restore_floor_item(game, room, entry, skipped)


def _restore_floor_item(game: Game, room: Room, entry: Any, skipped: list[str]) -> None:
    if not isinstance(entry, dict):
        skipped.append(f"room {room.id}: a floor item that is not a table")
        return
    item_id, quantity, metadata = entry.get("item"), entry.get("quantity"), entry.get("metadata")
    if not isinstance(item_id, str) or not _is_int(quantity) or quantity < 1 \
            or not (metadata is None or isinstance(metadata, dict)):
        skipped.append(f"room {room.id}: malformed floor item {entry!r:.80}")
        return
    if item_id not in game.world.items:
        skipped.append(f"{quantity} x item {item_id} on the floor of {room.id}: "
                       f"not in the world")
        return
    if metadata:
        room.items.append(FloorItem(item_id, quantity, copy.deepcopy(metadata)))
    else:  # joins its pile, or lies one by one, as the world's items are now
        game.put_on_floor(room, item_id, quantity)


def _restore_monsters(game: Game, monsters: Any, taken_at: float, skipped: list[str]) -> None:
    """Each entry fills the next of the game's slots of its monster in its room, in order."""
    if not isinstance(monsters, list):
        skipped.append("monsters: not a list")
        return
    free: dict[tuple[str, str], deque[SpawnSlot]] = defaultdict(deque)
    for slot in game.slots:
        free[slot.room_id, slot.monster_id].append(slot)
    for entry in monsters:
        if not isinstance(entry, dict) or not isinstance(entry.get("room"), str) \
                or not isinstance(entry.get("monster"), str):
            skipped.append(f"malformed monster {entry!r:.80}")
            continue
        room_id, monster_id = entry["room"], entry["monster"]
        what = f"monster {monster_id} in {room_id}"
        slots = free.get((room_id, monster_id))
        if not slots:
            why = ("room not in the world" if room_id not in game.rooms else
                   "monster not in the world" if monster_id not in game.world.monsters else
                   "room no longer spawns it" if (room_id, monster_id) not in free else
                   "fewer spawn slots now")
            skipped.append(f"{what}: {why}")
            continue
        if not _restore_slot(game, slots[0], entry, taken_at):
            skipped.append(f"{what}: malformed {entry!r:.80}")
            continue
        slots.popleft()


def _restore_slot(game: Game, slot: SpawnSlot, entry: dict[str, Any], taken_at: float) -> bool:
    template = game.world.monsters[slot.monster_id]
    if entry.get("alive") is True:
        health, cooldowns = entry.get("health"), entry.get("cooldowns", {})
        if not _is_int(health) or health < 1 or not isinstance(cooldowns, dict) \
                or not all(_is_number(left) for left in cooldowns.values()):
            return False
        mob = slot.mob if slot.mob is not None else game.spawn(slot)
        mob.health = min(health, template.health)
        mob.ready_at = {name: taken_at + left for name, left in cooldowns.items()
                        if name in template.abilities}
        return True
    if entry.get("alive") is False:
        left = entry.get("respawn_in")
        if not _is_number(left):
            return False
        mob = slot.mob
        if mob is not None:
            game.rooms[slot.room_id].mobs.remove(mob)
            game.fights.discard(mob)
        slot.mob = None
        slot.died_at = taken_at + left - template.respawn  # it returns at taken_at + left
        return True
    return False


def _restore_shops(game: Game, shops: Any, taken_at: float, skipped: list[str]) -> None:
    """Each shop's stock and restock timer, for the shops the world still has."""
    if not isinstance(shops, dict):
        skipped.append("shops: not a table")
        return
    for shop_id, entry in shops.items():
        template = game.world.shops.get(shop_id)
        stock = entry.get("stock") if isinstance(entry, dict) else None
        left = entry.get("restock_in") if isinstance(entry, dict) else None
        if template is None:
            skipped.append(f"shop {shop_id}: not in the world")
        elif not isinstance(stock, dict) or not _is_number(left):
            skipped.append(f"shop {shop_id}: malformed {entry!r:.80}")
        else:
            for item_id in [i for i in stock if i not in game.world.items]:
                skipped.append(f"{stock.pop(item_id)!r} x item {item_id} for sale in shop "
                               f"{shop_id}: not in the world")
            game.shops[shop_id] = Shop(template, {
                item_id: count for item_id, count in stock.items() if _is_int(count)
                and count > 0}, taken_at + left)


def _restore_resets(game: Game, clock: Clock, resets: Any, taken_at: float,
                    skipped: list[str]) -> None:
    if not isinstance(resets, dict):
        skipped.append("zone reset timers: not a table")
        return
    for zone_id, left in resets.items():
        if zone_id not in clock.next_reset or zone_id not in game.world.zones:
            skipped.append(f"reset timer of zone {zone_id}: not in the world")
        elif not _is_number(left):
            skipped.append(f"reset timer of zone {zone_id}: malformed {left!r:.40}")
        else:
            clock.next_reset[zone_id] = taken_at + left


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and value == value and abs(value) != float("inf")


# -- the file -------------------------------------------------------------------------------


def write(path: Path, game: Game, clock: Clock | None = None) -> int:
    """Write game's snapshot to path atomically (a temporary file in its folder, synced, then
    renamed over it); returns the bytes written."""
    body = json.dumps(take(game, clock), separators=(",", ":"), allow_nan=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(path.parent)
    return len(body)


def read_and_remove(path: Path) -> dict[str, Any] | None:
    """The snapshot at path, removed once read (a later cold start must not restore it); None
    when there is none. One that cannot be read is renamed to `<name>.bad` and None returned."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(path, exc)
    try:
        data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        return _unreadable(path, exc)
    if not isinstance(data, dict):
        return _unreadable(path, TypeError(f"a {type(data).__name__}, not an object"))
    try:
        path.unlink()
        _sync_folder(path.parent)
    except OSError as exc:
        log.error("event=snapshot_not_removed path=%s error=%r", path, str(exc))
    return data


def _unreadable(path: Path, exc: Exception) -> None:
    bad = path.with_name(path.name + ".bad")
    try:
        os.replace(path, bad)
        moved = str(bad)
    except OSError:
        moved = "-"
    log.warning("event=snapshot_unreadable path=%s moved_to=%s error=%r", path, moved,
                str(exc))
    return None


def _sync_folder(folder: Path) -> None:
    """Make a rename in folder durable (where the system allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
