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
    assert "Settings: alias, autocoin, autoloot, brief, color, password, prompt, unalias, " \
        "wimpy." in listed
    assert "goto" not in listed and "Socials: 34" in listed
