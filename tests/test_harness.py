"""The in-memory command harness itself: it records what players are told, runs lines through
the real dispatcher, and moves the game's clock without sleeping."""

from __future__ import annotations

from tests.harness import Harness


async def test_a_player_records_what_a_command_tells_it_without_colour_markup() -> None:
    harness = Harness()
    alice = harness.player("Alice")
    looked = await alice.run("look")
    assert looked.startswith("Village Square\n"), looked
    assert "[Exits: north east south west]" in looked
    assert "{" not in looked  # the markup a client without colour never sees
    assert alice.output[-1] == looked
    assert await alice.run("xyzzy") == "Unknown command 'xyzzy'. Type help."
    assert harness.server.stats.commands == 1  # look; an unknown word runs nothing


async def test_two_players_in_a_room_hear_each_other() -> None:
    harness = Harness()
    alice, bob = harness.player("Alice"), harness.player("Bob")
    assert "Bob has entered the game." in alice.heard()
    assert await alice.run("say hello") == "You say, 'hello'"
    assert bob.output[-1] == "Alice says, 'hello'"
    await bob.run("north")
    assert alice.output[-1] == "Bob leaves north."
    await alice.run("say anyone?")
    assert bob.output[-1] != "Alice says, 'anyone?'"


async def test_the_clock_moves_and_a_cooldown_runs_out_without_sleeping() -> None:
    harness = Harness()
    alice = harness.player("Alice")
    alice.carry("stone_essence")
    alice.bond("stone", "power")
    assert "You use Bedrock Stance" in await alice.run("use bedrock stance")
    assert "Bedrock Stance is not ready yet (12s)." in await alice.run("use bedrock stance")
    harness.advance(11)
    assert "not ready yet (1s)" in await alice.run("use bedrock stance")
    harness.advance(1)
    assert "You use Bedrock Stance" in await alice.run("use bedrock stance")


async def test_weakness_runs_out_as_the_clock_moves() -> None:
    harness = Harness()
    alice = harness.player("Alice", weak_until=harness.clock() + 60)
    assert "Alice, normal rank, standing, weak for 60s" in await alice.run("score")
    harness.advance(60)
    assert "Alice, normal rank, standing\n" in await alice.run("score")


async def test_a_tick_regenerates_at_the_current_time() -> None:
    harness = Harness()
    alice = harness.player("Alice", health=50)
    harness.tick()
    assert alice.ch.health > 50
    assert "Health 5" in await alice.run("score")


async def test_ask_answers_from_the_queued_lines_and_quit_leaves_the_room() -> None:
    harness = Harness()
    alice, bob = harness.player("Alice"), harness.player("Bob")
    alice.answers.append("secret")
    assert await alice.ask("Old password: ", secret=True) == "secret"
    await alice.run("quit")
    assert alice.character is None and alice.closed == "Goodbye!"
    assert bob.output[-1] == "Alice has left the game."
    assert harness.game.find_online("Alice") is None
    assert "Alice is here." not in await bob.run("look")
