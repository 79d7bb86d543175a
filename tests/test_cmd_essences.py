"""Essence commands in memory, on the bundled world: the bond's question (what it will raise,
the confluence a third essence forms, asking again until yes or no, no cancelling it), a
damage ability with no foe, and a heal on someone else. A bond's answer of yes is committed to
the database first, so it stays tested end to end (tests/test_essences.py,
tests/test_first_hour_items.py); here bonds made earlier are applied as that commit applies
them."""

from __future__ import annotations

import re

from tests.harness import Harness, HarnessPlayer


def with_two_bonded(harness: Harness, third: str) -> HarnessPlayer:
    """A character who has bonded stone (power) and tide (speed) and carries third."""
    player = harness.player()
    for what, attribute in (("stone", "power"), ("tide", "speed")):
        player.carry(f"{what}_essence")
        player.bond(what, attribute)
    player.carry(third)
    return player


async def test_the_third_bond_question_names_the_confluence() -> None:
    player = with_two_bonded(Harness(), "hearth_essence")
    question = await player.run("bond hearth to recovery")
    assert "Recovery will rise by 6." in question
    assert ("As your third essence it will also form the bastion confluence essence, "
            "bound to recovery (+6).") in question, question
    assert "Bonding cancelled." in await player.run("no")


async def test_no_cancels_a_bond_and_the_next_line_is_a_command_again() -> None:
    player = Harness().player()
    player.carry("gale_essence")
    await player.run("bond gale to speed")
    assert "Bonding cancelled." in await player.run("n")
    assert "Village Square" in await player.run("look")
    assert "a gale essence" in await player.run("inventory")
    assert player.ch.essences == []


async def test_bonding_asks_first_and_no_cancels() -> None:
    player = Harness().player()
    player.carry("gale_essence")
    question = await player.run("bond gale to speed")
    assert "Bonding a gale essence to speed cannot be undone" in question
    assert "Speed will rise by 6" in question
    assert "Bonding cancelled." in await player.run("no")
    assert "a gale essence" in await player.run("inventory")
    # anything but yes or no asks again (more in tests/test_first_hour_items.py)
    await player.run("bond gale to speed")
    reply = await player.run("look")
    assert "Please answer yes or no." in reply and "Village Square" not in reply
    assert "Bonding cancelled." in await player.run("no")
    assert player.ch.essences == []


async def test_striking_the_air_teaches_nothing() -> None:
    player = Harness().player()
    player.carry("stone_essence")
    player.bond("stone", "power")
    assert "You are not fighting anything" in await player.run("use cobble")
    line = next(x for x in (await player.run("abilities")).splitlines()
                if "Cobble Strike" in x)
    assert "progress 0/20" in line and " ready " in line  # not used: no cooldown either


async def test_a_heal_reaches_someone_else_in_the_room() -> None:
    harness = Harness()
    healer = harness.player("Healer")
    healer.carry("tide_essence")
    healer.bond("tide", "recovery")
    hurt = harness.player("Tobias")
    hurt.carry("stone_essence")
    hurt.bond("stone", "power")  # health 100 of a new maximum of 160
    reply = await healer.run(f"use mend {hurt.name[:4]}")
    gained = int(re.search(r"You use Flowing Mend on \w+, restoring (\d+) health", reply)[1])
    assert gained > 0
    assert f"uses Flowing Mend on you, restoring {gained} health" in hurt.heard()
    assert "You will not turn Undertow Pull on" in await healer.run(f"use undertow {hurt.name}")


async def test_rest_regenerates_and_holds_you_in_place() -> None:
    harness = Harness()
    player = harness.player()
    await player.run("west")
    await player.run("west")
    await player.run("get ember")
    assert "cannot be undone" in await player.run("bond ember to power")
    await player.run("no")
    player.bond("ember", "power")  # health max is now 160; health is still 100
    assert "You sit down and rest." in await player.run("rest")
    assert "resting" in await player.run("score")
    assert "Stand up first" in await player.run("east")
    ability = re.findall(r"^  (\S[\w' -]*?\S)\s+normal\s+ready\b",
                         await player.run("abilities"), re.M)[0]
    assert "Stand up first" in await player.run(f"use {ability}")
    harness.advance(harness.server.settings.tick_interval)
    harness.tick()
    health = int(re.search(r"Health (\d+)/160", await player.run("score"))[1])
    assert health > 100
    assert "You stand up." in await player.run("stand")
    assert "Temple Walk" in await player.run("east")
