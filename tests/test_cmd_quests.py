"""Quest and gift commands in memory, on the testing zone of tests/test_gameplay.py: a delivery
quest from its start items to its reward, and a consumable used up while a gift goes only to
someone who wants it. Quests that survive a restart stay tested end to end there."""

from __future__ import annotations

import re

from tests.harness import Harness, world_with
from tests.test_gameplay import write_test_world


async def test_a_delivery_quest() -> None:
    player = Harness(world_with(write_test_world)).player()
    assert "2. Paperwork (the test elder)" in await player.run("quest list")
    accepted = await player.run("quest accept paperwork")
    assert "The test elder gives you a faded map." in accepted
    assert "Give a faded map to the test clerk: 0/1" in accepted
    assert "You have nothing to turn in here." in await player.run("quest complete")
    assert "[Paperwork] You have arrived in the Test Recovery." in await player.run("south")
    delivered = await player.run("give map clerk")
    assert "You give a faded map to the test clerk." in delivered
    assert "[Paperwork] Give a faded map to the test clerk: 1/1" in delivered
    assert "a faded map" not in await player.run("inventory")
    await player.run("north")
    done = await player.run("quest complete")
    assert "You complete 'Paperwork'!" in done and "Filed at last." in done
    assert "a copper coin (x7)" in await player.run("inventory")


async def test_use_eats_a_consumable_and_gifts_only_go_to_npcs_who_want_them() -> None:
    player = Harness(world_with(write_test_world)).player(stamina=50)
    player.carry("loaf_of_bread", 2)
    assert "You eat a loaf of bread" in await player.run("use bread")
    assert "a loaf of bread" in await player.run("inventory")  # one of two is left
    assert re.search(r"Stamina (\d+)/100", await player.run("score"))[1] != "50"
    assert "The test elder does not want a loaf of bread." in await player.run(
        "give bread elder")
    assert "a loaf of bread" in await player.run("inventory")
