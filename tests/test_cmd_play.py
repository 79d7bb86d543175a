"""Playing together in memory, on the bundled world: seeing arrivals, talking, emoting, moving,
command prefixes, aliases and help, and what players never see of privileged commands. Telling
across rooms and processes, `who` and quitting stay tested end to end (tests/test_play.py)."""

from __future__ import annotations

from tests.harness import Harness
from tests.test_wizard import PRIVILEGED


async def test_players_see_arrivals_says_and_emotes() -> None:
    harness = Harness()
    alice, bob = harness.player("Alice"), harness.player("Bob")
    # both start in the square; bob walks out and back in
    await bob.run("north")
    assert "Bob leaves north." in alice.heard()
    await bob.run("south")
    assert "Bob arrives from the north." in alice.heard()
    look = await alice.run("look")
    assert "Bob is here." in look
    await bob.run("say Hello there, friend!")
    assert alice.output[-1] == "Bob says, 'Hello there, friend!'"
    await alice.run(":waves cheerfully.")
    assert bob.output[-1] == "Alice waves cheerfully."


async def test_unknown_command_is_named() -> None:
    alice = Harness().player("Alice")
    assert "Unknown command 'xyzzy'. Type help." in await alice.run("xyzzy")


async def test_prefixes_aliases_and_help() -> None:
    alice = Harness().player("Alice")
    assert "You are carrying" in await alice.run("inv")
    assert "normal rank" in await alice.run("sco")
    assert "Village Square" in await alice.run("l")
    helped = await alice.run("help say")
    assert "Say something to everyone in the room" in helped
    everything = await alice.run("help")
    for word in ("look", "get", "give", "tell", "quit"):
        assert f"  {word} " in everything


async def test_movement_by_direction_name_and_custom_exit() -> None:
    alice = Harness().player("Alice")
    assert "Market Street" in await alice.run("n")
    assert "North Gate" in await alice.run("north")
    outside = await alice.run("gate")  # a custom exit typed by its name
    assert "Outside the North Gate" in outside
    back = await alice.run("go gate")
    assert back.lstrip().startswith("North Gate")
    assert "You can't go that way." in await alice.run("go nowhere")
    exits = await alice.run("exits")
    assert "gate" in exits and "south" in exits


async def test_players_see_and_reach_no_privileged_command() -> None:
    assert len(PRIVILEGED) >= 15
    player = Harness().player("Alice")
    help_text = await player.run("help")
    for cmd in PRIVILEGED:
        for word in (cmd.name, *cmd.aliases):
            assert f"Unknown command '{word}'" in await player.run(f"{word} x"), word
        assert f"\n  {cmd.name} " not in help_text, cmd.name
