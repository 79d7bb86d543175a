"""Pure parts without I/O: targets, the command registry, settings, the model, the snapshot."""

from __future__ import annotations

import uuid

import pytest

from mud.commands import REGISTRY
from mud.commands.registry import Ambiguous, Command, Registry
from mud.commands.targets import BadTarget, TargetSpec, parse_target, select
from mud.config import Settings
from mud.game import rules
from mud.game.model import Character, Part
from mud.net.connection import clean_text
from mud.store.saver import Saver
from mud.store.shape import INVENTORY


@pytest.mark.parametrize(("text", "spec"), [
    ("sword", TargetSpec("sword")),
    ("2.sword", TargetSpec("sword", index=2)),
    ("all.coin", TargetSpec("coin", every=True)),
    ("all", TargetSpec(None, every=True)),
    ("3 coin", TargetSpec("coin", count=3)),
    ("SWORD", TargetSpec("sword")),
])
def test_parse_target(text: str, spec: TargetSpec) -> None:
    assert parse_target(text) == spec


@pytest.mark.parametrize("text", ["", "0.sword", "all.", "0 coin"])
def test_parse_target_rejects(text: str) -> None:
    with pytest.raises(BadTarget):
        parse_target(text)


def test_select_by_index_and_all() -> None:
    things = [("a", ("rusty", "sword")), ("b", ("bread",)), ("c", ("bronze", "sword"))]
    words = lambda t: t[1]  # noqa: E731
    assert select(things, parse_target("sword"), words) == [things[0]]
    assert select(things, parse_target("2.sword"), words) == [things[2]]
    assert select(things, parse_target("3.sword"), words) == []
    assert select(things, parse_target("all.sw"), words) == [things[0], things[2]]
    assert select(things, parse_target("all"), words) == things


def test_registry_prefixes_aliases_and_roles() -> None:
    assert REGISTRY.resolve("l", "player").name == "look"
    assert REGISTRY.resolve("inv", "player").name == "inventory"
    assert REGISTRY.resolve("n", "player").name == "north"
    assert REGISTRY.resolve("sco", "player").name == "score"
    assert REGISTRY.resolve("xyzzy", "player") is None
    with pytest.raises(Ambiguous) as excinfo:
        REGISTRY.resolve("g", "player")
    assert excinfo.value.names == ["get", "give", "go", "group", "gtell"]


def test_commands_above_a_role_are_invisible() -> None:
    registry = Registry()
    registry.add(Command("goto", (), "wizard", "wizard", lambda ctx: None))
    registry.add(Command("gossip", (), "player", "comms", lambda ctx: None))
    assert registry.resolve("go", "player").name == "gossip"
    assert registry.exact("goto", "player") is None
    assert [c.name for c in registry.visible("player")] == ["gossip"]
    with pytest.raises(Ambiguous):
        registry.resolve("go", "wizard")
    assert registry.resolve("got", "admin").name == "goto"


def test_every_command_has_help() -> None:
    for cmd in REGISTRY.visible("admin"):
        assert cmd.summary and cmd.summary != "No help yet.", cmd.name


def test_settings_precedence() -> None:
    env = {"MUD_TELNET_PORT": "5000", "MUD_SAVE_INTERVAL": "2.5"}
    assert Settings.load({}, env).telnet_port == 5000
    assert Settings.load({"telnet_port": 6000}, env).telnet_port == 6000
    assert Settings.load({}, {}).telnet_port == 4000
    assert Settings.load({}, env).save_interval == 2.5
    assert Settings.load({}, {}).database_url is None
    with pytest.raises(SystemExit, match="MUD_TELNET_PORT"):
        Settings.load({}, {"MUD_TELNET_PORT": "lots"})
    with pytest.raises(SystemExit, match="MUD_TICK_INTERVAL must be above 0"):
        Settings.load({}, {"MUD_TICK_INTERVAL": "0"})


def test_pool_maxima_and_capacity() -> None:
    ch = Character(uuid.uuid4(), uuid.uuid4(), "Ann", power=12, spirit=9, speed=11)
    assert (ch.max_health, ch.max_mana, ch.max_stamina) == (120, 90, 110)
    assert rules.inventory_capacity(0) == 20 and rules.inventory_capacity(2) == 40
    assert rules.regeneration(10) == 2 and rules.regeneration(3) == 1


def test_stackable_items_stack_and_capacity_holds() -> None:
    ch = Character(uuid.uuid4(), uuid.uuid4(), "Ann")
    ch.add_item("copper_coin", 3, stackable=True)
    ch.add_item("copper_coin", 2, stackable=True)
    assert [(i.item_id, i.quantity) for i in ch.inventory] == [("copper_coin", 5)]
    for _ in range(19):
        ch.add_item("rusty_sword", 1, stackable=False)
    assert not ch.can_carry("rusty_sword", stackable=False)
    assert ch.can_carry("copper_coin", stackable=True)  # joins the existing stack


def test_snapshot_is_one_instant_and_restore_puts_it_back() -> None:
    saver = Saver(pool=None, interval=1.0)  # type: ignore[arg-type]
    giver = Character(uuid.uuid4(), uuid.uuid4(), "Ann")
    taker = Character(uuid.uuid4(), uuid.uuid4(), "Bob")
    saver.attach(giver)
    saver.attach(taker)
    row = giver.add_item("rusty_sword", 1, stackable=False)
    snap = saver.snapshot()
    assert snap.owners(Part.INVENTORY) == [giver.id] and saver.dirty_count == 0
    giver.remove_item(row, 1)
    taker.add_item("rusty_sword", 1, stackable=False)
    snap = saver.snapshot()
    assert sorted(snap.owners(Part.INVENTORY)) == sorted([giver.id, taker.id])
    assert [r[0] for r in snap.rows[INVENTORY.name]] == [taker.id]  # one copy, the taker's
    saver.restore(snap)
    assert saver.dirty_count == 2 and Part.INVENTORY in giver.dirty


def test_clean_text_strips_controls_and_applies_backspace() -> None:
    assert clean_text(b"loox\x08k") == "look"
    assert clean_text("caf\u00e9".encode() + b"\xff") == "caf\u00e9\ufffd"
    assert clean_text(b"\x1b[31mred\x1b[0m\x07") == "[31mred[0m"
    assert clean_text(b"  say\thi  ") == "say hi"
