"""The world snapshot of a hot reboot (mud.game.snapshot), in memory: a game's floor items,
monsters and timers go over to a new game over the same world, timers counting the time the
world was down; what no longer fits a changed world is skipped and listed; the file is written
atomically, removed once read, and set aside when it cannot be read."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from mud.game import snapshot
from mud.game.clock import Clock
from mud.game.fighting import hurt
from mud.game.mobs import SpawnSlot
from mud.game.state import Game
from tests.harness import START, Harness

RAT_RESPAWN = 60  # world/monsters.toml: cellar_rat
ZONE_RESET = 300  # world/zones/greywater.toml


def floors(game: Game) -> dict[str, list[tuple[str, int, Any]]]:
    return {room_id: [(f.item_id, f.quantity, f.metadata) for f in room.items]
            for room_id, room in game.rooms.items()}


def slots(game: Game, room_id: str, monster_id: str) -> list[SpawnSlot]:
    return [s for s in game.slots if s.room_id == room_id and s.monster_id == monster_id]


def monsters(game: Game) -> list[tuple[str, str, int | None]]:
    return [(s.room_id, s.monster_id, s.mob.health if s.mob else None) for s in game.slots]


def rebooted(old: Harness, down: float = 0.0) -> Harness:
    """A new game over the same world, started down seconds after old's clock reads, its
    tick's timers counted from then, as a new world process builds them."""
    new = Harness(old.game.world)
    new.clock.time = old.clock.time + down
    new.server.clock = Clock(new.game, new.clock())
    return new


@pytest.fixture
async def old() -> Harness:
    """A game played a little: the shrine's essences taken and a worn sword dropped on the
    square, a hare hurt, the second cellar rat killed (at START), a boar's ability cooling
    down; then 20 seconds on."""
    harness = Harness()
    game = harness.game
    alice = harness.player("Alice", room="bonding_shrine")
    assert "ember" in await alice.run("get all")
    await alice.run("east")
    await alice.run("east")
    alice.carry("rusty_sword", metadata={"durability": 3})
    assert "You drop" in await alice.run("drop sword")
    hare = slots(game, "fallow_fields", "brown_hare")[0].mob
    hurt(game, hare, 9, alice.ch, harness.clock())
    rat = slots(game, "inn_cellar", "cellar_rat")[1].mob
    hurt(game, rat, rat.health, alice.ch, harness.clock())
    boar = slots(game, "old_orchard", "wild_boar")[0].mob
    boar.ready_at["Gore Rush"] = harness.clock() + 30
    harness.advance(20)
    return harness


def test_a_new_game_carries_on_where_the_old_one_stopped(old: Harness) -> None:
    data = snapshot.take(old.game, old.server.clock)
    assert json.loads(json.dumps(data, allow_nan=False)) == data  # plain data only

    new = rebooted(old)
    assert floors(new.game) != floors(old.game)  # the fresh world placed its own
    assert snapshot.restore(new.game, data, new.server.clock) == []

    assert floors(new.game) == floors(old.game)
    assert floors(new.game)["bonding_shrine"] == []
    assert ("rusty_sword", 1, {"durability": 3}) in floors(new.game)["village_square"]
    assert monsters(new.game) == monsters(old.game)
    assert slots(new.game, "fallow_fields", "brown_hare")[0].mob.health == 5
    assert [s.mob is None for s in slots(new.game, "inn_cellar", "cellar_rat")] \
        == [False, True, False]
    assert len(new.game.rooms["inn_cellar"].mobs) == 2
    boar = slots(new.game, "old_orchard", "wild_boar")[0].mob
    assert boar.ready_at == {"Gore Rush": START + 30}
    assert new.server.clock.next_reset == {"greywater": START + ZONE_RESET,
                                           "old_road": START + ZONE_RESET}

    # the rat returns 60 seconds after it died, not before; the shrine fills at the reset
    new.tick()
    new.advance(RAT_RESPAWN - 20 - 1)
    new.tick()
    assert slots(new.game, "inn_cellar", "cellar_rat")[1].mob is None
    new.advance(1)
    new.tick()
    assert slots(new.game, "inn_cellar", "cellar_rat")[1].mob is not None
    new.clock.time = START + ZONE_RESET - 1
    new.tick()
    assert floors(new.game)["bonding_shrine"] == []
    new.advance(1)
    new.tick()
    assert [f[0] for f in floors(new.game)["bonding_shrine"]] \
        == ["ember_essence", "tide_essence"]


def test_the_time_the_world_was_down_counts_against_its_timers(old: Harness) -> None:
    data = snapshot.take(old.game, old.server.clock)

    new = rebooted(old, down=100)  # past the rat's return, short of the zone reset
    assert snapshot.restore(new.game, data, new.server.clock) == []
    assert slots(new.game, "inn_cellar", "cellar_rat")[1].mob is None
    assert new.server.clock.next_reset["greywater"] == START + ZONE_RESET
    new.tick()  # overdue: it returns at the first tick
    assert slots(new.game, "inn_cellar", "cellar_rat")[1].mob is not None
    assert floors(new.game)["bonding_shrine"] == []

    later = rebooted(old, down=ZONE_RESET)  # past the zone reset too
    snapshot.restore(later.game, data, later.server.clock)
    assert floors(later.game)["bonding_shrine"] == []
    later.tick()
    assert [f[0] for f in floors(later.game)["bonding_shrine"]] \
        == ["ember_essence", "tide_essence"]


def test_what_no_longer_fits_the_world_is_skipped_and_listed(old: Harness) -> None:
    data = snapshot.take(old.game, old.server.clock)
    data["rooms"]["sunken_vault"] = [{"item": "copper_coin", "quantity": 4, "metadata": None}]
    data["rooms"]["village_square"].append({"item": "unobtainium", "quantity": 2,
                                            "metadata": None})
    data["rooms"]["smithy"].append({"item": "copper_coin", "quantity": "many"})
    data["monsters"] += [
        {"room": "inn_cellar", "monster": "cellar_rat", "alive": True, "health": 3},
        {"room": "village_square", "monster": "dragon", "alive": True, "health": 900},
        {"room": "sunken_vault", "monster": "cellar_rat", "alive": False, "respawn_in": 5},
        {"room": "village_square", "monster": "cellar_rat", "alive": True, "health": 3},
    ]
    data["zone_resets"]["atlantis"] = 12.0

    new = rebooted(old)
    skipped = snapshot.restore(new.game, data, new.server.clock)

    assert len(skipped) == 8, skipped
    expected = ["room sunken_vault (1 floor item(s)): not in the world",
                "2 x item unobtainium on the floor of village_square: not in the world",
                "monster cellar_rat in inn_cellar: fewer spawn slots now",
                "monster dragon in village_square: monster not in the world",
                "monster cellar_rat in sunken_vault: room not in the world",
                "monster cellar_rat in village_square: room no longer spawns it",
                "reset timer of zone atlantis: not in the world"]
    for line in expected:
        assert line in skipped
    assert any(s.startswith("room smithy: malformed floor item") for s in skipped)
    # the rest is restored
    assert floors(new.game) == floors(old.game)
    assert monsters(new.game) == monsters(old.game)
    assert "atlantis" not in new.server.clock.next_reset


def test_a_changed_spawn_rule_restores_the_slots_that_remain(old: Harness) -> None:
    new = rebooted(old)
    # the world now spawns a single rat in the cellar: the first one's state is restored
    for slot in slots(new.game, "inn_cellar", "cellar_rat")[1:]:
        new.game.slots.remove(slot)
        new.game.rooms["inn_cellar"].mobs.remove(slot.mob)
    first = slots(old.game, "inn_cellar", "cellar_rat")[0].mob
    first.health = 7
    data = snapshot.take(old.game, old.server.clock)

    skipped = snapshot.restore(new.game, data, new.server.clock)

    assert skipped == ["monster cellar_rat in inn_cellar: fewer spawn slots now"] * 2
    assert [s.mob.health for s in slots(new.game, "inn_cellar", "cellar_rat")] == [7]


def test_an_unknown_version_restores_nothing(old: Harness) -> None:
    data = snapshot.take(old.game, old.server.clock)
    data["version"] = 2
    new = rebooted(old)
    fresh = floors(new.game)

    assert snapshot.restore(new.game, data, new.server.clock) \
        == ["snapshot version 2 is not 1: nothing restored"]
    assert floors(new.game) == fresh
    assert all(s.mob is not None for s in new.game.slots)


def test_zone_timers_need_the_clock(old: Harness) -> None:
    data = snapshot.take(old.game)
    assert "zone_resets" not in data
    data = snapshot.take(old.game, old.server.clock)
    new = rebooted(old, down=50)
    assert snapshot.restore(new.game, data) \
        == ["zone reset timers: no clock to restore them to"]


def test_the_file_is_written_whole_and_removed_once_read(old: Harness, tmp_path: Path) -> None:
    path = tmp_path / "world.snapshot"
    path.write_text("an older snapshot")

    written = snapshot.write(path, old.game, old.server.clock)

    assert written == path.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["world.snapshot"]  # no temporary left
    data = snapshot.read_and_remove(path)
    assert data == snapshot.take(old.game, old.server.clock)
    assert not path.exists()
    assert snapshot.read_and_remove(path) is None
    new = rebooted(old)
    assert snapshot.restore(new.game, data, new.server.clock) == []
    assert floors(new.game) == floors(old.game)


@pytest.mark.parametrize("body", [b'{"version": 1, "rooms": {', b"[1, 2]", b"\xff\xfe{}"])
def test_an_unreadable_file_is_set_aside(tmp_path: Path, body: bytes,
                                         caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "world.snapshot"
    path.write_bytes(body)
    with caplog.at_level(logging.WARNING, logger="mud.snapshot"):
        assert snapshot.read_and_remove(path) is None
    assert not path.exists()
    assert (tmp_path / "world.snapshot.bad").read_bytes() == body
    assert "event=snapshot_unreadable" in caplog.text
