"""How a player plays, in memory: aliases (arguments, chains, limits, no recursion), brief room
descriptions, wimpy, autoloot and autocoin, `look me` and `commands`. That the settings are kept
with the character runs end to end in tests/test_kept_settings.py."""

from __future__ import annotations

import pytest

from mud.game.aliases import ALIASES_MAX, expand, refusal
from tests.harness import Harness, world_with
from tests.test_gameplay import write_test_world


@pytest.fixture
def arena() -> Harness:
    return Harness(world_with(write_test_world))


def test_alias_expansion_with_arguments_chains_and_limits() -> None:
    aliases = {"kr": "kill rat", "hh": "use flowing mend $1;say healed $1, $*", "x": "a;" * 12}
    assert expand(aliases, "kr") == ["kill rat"]
    assert expand(aliases, "kr 2") == ["kill rat 2"]  # no $: what follows is added
    assert expand(aliases, "hh bob now") == ["use flowing mend bob", "say healed bob, bob now"]
    assert expand(aliases, "HH") == ["use flowing mend", "say healed ,"]
    assert len(expand(aliases, "x") or []) == 10
    assert expand(aliases, "look") is None
    assert refusal("quit", "say bye", {}) == "'quit' cannot be an alias."
    assert refusal("k2", "kill", {}) == "An alias's name is one word of at most 20 letters a-z."
    assert refusal("long", "x" * 201, {}) == "An alias stands for at most 200 characters."
    assert refusal("many", "say;" * 11, {}) == "An alias runs at most 10 commands."
    full = {f"a{chr(97 + n // 26)}{chr(97 + n % 26)}": "look" for n in range(ALIASES_MAX)}
    assert refusal("more", "look", full) is not None and refusal("aaa", "say", full) is None


async def test_aliases_run_their_commands_and_never_each_other() -> None:
    harness = Harness()
    alice, bob = harness.player("Alice"), harness.player("Bob")
    assert "hail now stands for: say hello $1;wave $1" in await alice.run(
        "alias hail say hello $1;wave $1")
    told = await alice.run("hail bob")
    assert "You say, 'hello bob'" in told and "You wave to Bob." in told
    assert "Alice waves to you." in bob.heard()
    await alice.run("alias again hail bob")
    assert "Unknown command 'hail'" in await alice.run("again")  # not expanded twice
    assert "hail         say hello $1;wave $1" in await alice.run("alias")
    assert "hail stands for: say hello $1;wave $1" in await alice.run("alias hail")
    assert "The alias hail is removed." in await alice.run("unalias hail")
    assert "Unknown command 'hail'" in await alice.run("hail")
    assert alice.ch.aliases == {"again": "hail bob"}


async def test_brief_walking_shows_no_description_and_look_still_does() -> None:
    alice = Harness().player("Alice")
    assert "Brief: rooms you walk into show no description" in await alice.run("brief")
    walked = await alice.run("north")
    assert "Market Street\n[Exits:" in walked
    assert "Stalls of patched canvas" in await alice.run("look")
    assert "Brief is off" in await alice.run("brief off")
    assert "Stalls of patched canvas" in await alice.run("south") + await alice.run("north")
    assert "Say on or off" in await alice.run("brief maybe")


async def test_wimpy_flees_on_its_own_when_a_blow_leaves_health_below_it(arena: Harness
                                                                           ) -> None:
    player = arena.player(health=50, room="inn_cellar")  # cellar rats outlast a blow
    assert "Wimpy is a health from 0 to 99." in await player.run("wimpy 100")
    assert "You will flee on your own below 90 health." in await player.run("wimpy 90")
    await player.run("kill rat")
    told = arena.tick_until(player, "You flee ")
    assert "Wounded, you try to flee!" in told and "You flee up, to " in told
    assert player.ch.room_id == "inn_common_room" and player.ch.fighting is None


async def test_autoloot_and_autocoin_pick_up_a_kills_drop(arena: Harness) -> None:
    player = arena.player()
    assert "Autocoin is on" in await player.run("autocoin")
    await player.run("kill rat")
    told = arena.tick_until(player, "You pick up")
    assert "You pick up a copper coin (x2)." in told and "You pick up an ember" not in told
    assert any(row.item_id == "copper_coin" for row in player.ch.inventory)
    assert "An ember essence lies here." in await player.run("look")
    assert "Autoloot is on" in await player.run("autoloot on")
    arena.tick_until(player, "arrives.")
    await player.run("kill rat")
    told = arena.tick_until(player, "You pick up a copper coin")
    assert "You pick up an ember essence." in told


async def test_look_me_and_the_list_of_commands() -> None:
    alice = Harness().player("Alice")
    assert "You are Alice, a normal-rank adventurer." in await alice.run("look me")
    assert "You are Alice" in await alice.run("look self")
    listed = await alice.run("commands")
    assert "Settings: alias, autocoin, autoloot, brief, color, compact, password, prompt, " \
        "unalias, wimpy." in listed
    assert "goto" not in listed and "Socials: 34" in listed


async def test_compact_fights_tell_each_round_as_one_line(arena: Harness) -> None:
    player = arena.player(room="inn_cellar")
    assert "Compact: each round of a fight is one line." in await player.run("compact")
    await player.run("kill rat")
    before = len(player.output)
    arena.advance(arena.server.settings.tick_interval)
    arena.tick()
    told = player.output[before:]
    assert len(told) == 1 and ("You hit a cellar rat" in told[0] or "You miss" in told[0])
    assert "a cellar rat" in told[0].split(".", 1)[1]  # the rat's turn, on the same line


async def test_a_bed_costs_coins_and_restores_twice_as_fast_as_resting() -> None:
    harness = Harness()
    sleeper = harness.player("Alice", room="inn_loft", health=10)
    assert "There is no bed for hire here" in await harness.player("Bob").run("sleep")
    assert "You are rested already" in await harness.player("Dave", room="inn_loft").run(
        "sleep")
    assert "A bed here costs 4 copper; you have 0." in await sleeper.run("sleep")
    sleeper.carry("copper_coin", 5)
    assert "You pay 4 copper for a bed and lie down to sleep." in await sleeper.run("sleep")
    assert sleeper.ch.resting and sleeper.ch.in_bed
    assert "You are already in bed." in await sleeper.run("sleep")
    rester = harness.player("Carol", room="inn_loft", health=10)
    await rester.run("rest")
    harness.advance(harness.server.settings.tick_interval)
    harness.tick()
    assert sleeper.ch.health - 10 == 2 * (rester.ch.health - 10) > 0
    await sleeper.run("stand")
    await sleeper.run("rest")  # on the floor now: the bed was for one sleep
    assert not sleeper.ch.in_bed


async def test_junk_and_sacrifice_destroy_for_good() -> None:
    alice = Harness().player("Alice")
    alice.carry("rat_tail", 3)
    assert "You throw away a rat's tail (x2)." in await alice.run("junk 2 tail")
    assert [r.quantity for r in alice.ch.inventory if r.item_id == "rat_tail"] == [1]
    assert "Junk one kind of thing at a time" in await alice.run("junk all")
    assert "You offer a rusty sword to the gods, and it is gone." in await alice.run(
        "sacrifice sword")
    assert "rusty sword" not in await alice.run("look")
