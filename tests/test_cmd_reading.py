"""What players read, in memory on the bundled world: help that shows its own markup, a and
an, rooms in running text, identical monsters and items grouped, and help searched for a word.
Text wrapped to a client's window and paged to its height goes through the session's output,
so it stays tested end to end (tests/test_reading.py)."""

from __future__ import annotations

import re

from tests.harness import Harness


async def test_help_shows_colour_tags_as_typed() -> None:
    player = Harness().player()
    assert "e.g. {red}%h{reset}." in await player.run("help prompt")


async def test_look_at_a_player_says_a_or_an() -> None:
    harness = Harness()
    looker = harness.player("Looker")
    harness.player("Other", rank="iron")
    assert "Other, an iron-rank adventurer." in await looker.run("look other")
    assert "You are Looker, a normal-rank adventurer." in await looker.run("look looker")


async def test_rooms_read_in_running_text() -> None:
    wizard = Harness().player("Wizard", role="wizard")
    await wizard.run("goto road_gatehouse")
    assert "Going by the gate, you would be at the North Gate." in await wizard.run("look gate")
    assert "Going north, you would be at the Milestone." in await wizard.run("look north")
    assert "You accept 'Eyes on the Road'." in await wizard.run("quest accept eyes")
    arrived = await wizard.run("goto watchtower_top")
    assert "[Eyes on the Road] You have arrived on top of the watchtower." in arrived
    info = await wizard.run("quest info eyes")
    assert "Stand on top of the watchtower: 1/1" in info
    assert "Stand at the Broken Bridge: 0/1" in info


async def test_identical_monsters_and_items_are_grouped() -> None:
    wizard = Harness().player("Wizard", role="wizard")
    await wizard.run("goto shrine_crypt")
    await wizard.run("purge")
    await wizard.run("spawn cellar_rat 3")
    await wizard.run("spawn copper_coin 5")
    await wizard.run("spawn rusty_sword 2")
    await wizard.run("spawn lookout_corran 2")
    look = await wizard.run("look")
    assert "Three cellar rats are here." in look and "A cellar rat" not in look
    assert "Five copper coins lie here." in look
    assert "Two rusty swords lie here." in look
    assert look.count("Corran the lookout is here.") == 2  # a name is no kind: never counted
    await wizard.run("kill rat")
    look = await wizard.run("look")
    assert "Two cellar rats are here." in look
    assert "A cellar rat is here, fighting you." in look


async def test_help_searches_help_texts_for_a_word() -> None:
    player = Harness().player()
    found = await player.run("help heal")
    assert "No command is called 'heal'. Help that mentions it:" in found
    assert re.search(r"mentions it: .*\buse\b", found)
    assert ("There is no help on 'xyzzy': no command is called that, and no help mentions it."
            in await player.run("help xyzzy"))
