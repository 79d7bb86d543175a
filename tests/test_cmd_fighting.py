"""Fighting commands in memory. On the bundled world plus the trial zone of
tests/test_first_hour_fighting.py: an ability teaches only when it did something, a damage
ability with no foe is refused before anything is spent, cooldowns round up, a keyword names
the monster whose own name has it first, and `consider` counts abilities. On the testing zone
of tests/test_gameplay.py: fighting's refusals, a kill teaching the abilities used, and death
and its weakness, which the clock lets pass. What a fight keeps through a restart, and how its
output reaches a telnet client, stay tested end to end there."""

from __future__ import annotations

import re

import pytest

from tests.harness import Harness, HarnessPlayer, world_with
from tests.test_first_hour_fighting import write_trial_world
from tests.test_gameplay import write_test_world


@pytest.fixture
def harness() -> Harness:
    return Harness(world_with(write_trial_world))


@pytest.fixture
def arena() -> Harness:
    return Harness(world_with(write_test_world))


def bonded(harness: Harness, *essences: str, to: str = "power") -> HarnessPlayer:
    """A new character who has bonded the given essences (item ids without `_essence`)."""
    player = harness.player()
    for essence in essences:
        player.carry(f"{essence}_essence")
        player.bond(essence, to)
    return player


async def ability_line(player: HarnessPlayer, ability: str) -> str:
    """The ability's line in `abilities`."""
    listing = await player.run("abilities")
    return next(line for line in listing.splitlines() if ability in line)


def stamina(score: str) -> str:
    return re.search(r"Stamina (\d+/\d+)", score)[1]


async def test_a_buff_teaches_only_in_a_fight(harness: Harness) -> None:
    player = bonded(harness, "stone", "gale")
    assert "You use Tailwind: speed +3" in await player.run("use tailwind")
    assert "progress 0/20" in await ability_line(player, "Tailwind")  # no foe: nothing learnt
    assert "You attack a straw dummy!" in await player.run("kill dummy")
    assert re.search(r"You use Bedrock Stance: power \+3", await player.run("use bedrock"))
    assert "progress 1/20" in await ability_line(player, "Bedrock Stance")


async def test_a_sense_that_finds_no_one_teaches_nothing(harness: Harness) -> None:
    player = bonded(harness, "wasp", to="speed")
    for ability in player.ch.abilities:
        if ability.ability_name == "Hive Hum":
            ability.awakened = True
    await player.run("south")
    assert "Trial Cell" in await player.run("south")  # no one else comes here
    reply = await player.run("use hive hum")
    assert "north: no one" in reply
    assert "progress 0/20" in await ability_line(player, "Hive Hum")


async def test_a_damage_ability_with_no_foe_is_refused_and_costs_nothing(
        harness: Harness) -> None:
    player = bonded(harness, "stone")
    before = stamina(await player.run("score"))
    reply = await player.run("use cobble")
    assert "You are not fighting anything" in reply and "use Cobble Strike <monster>" in reply
    assert "empty air" not in reply
    assert stamina(await player.run("score")) == before
    line = await ability_line(player, "Cobble Strike")
    assert " ready " in line and "progress 0/20" in line
    await player.run("kill dummy")
    assert "Your Cobble Strike hits a straw dummy for" in await player.run("use cobble")
    assert "progress 1/20" in await ability_line(player, "Cobble Strike")


async def test_cooldowns_round_up_and_never_show_zero(harness: Harness) -> None:
    player = bonded(harness, "ember")
    await player.run("kill dummy")
    assert "Your Cinder Flick hits a straw dummy" in await player.run("use cinder")
    seen: set[int] = set()
    for _ in range(6 * 20):  # Cinder Flick cools down for 3 seconds; a look every 0.05s
        reply = await player.run("use cinder")
        assert re.search(r"Your Cinder Flick hits|not ready yet \(\d+s\)\.", reply), reply
        if "hits" in reply:
            break
        seen.add(int(re.search(r"not ready yet \((\d+)s\)\.", reply)[1]))
        state = re.search(r"Cinder Flick\s+normal\s+(ready in \d+s|ready)",
                          await ability_line(player, "Cinder Flick"))[1]
        assert state != "ready in 0s"
        if state.startswith("ready in"):
            seen.add(int(state.split()[2][:-1]))
        harness.advance(0.05)
    else:
        raise AssertionError("Cinder Flick was never ready again")
    assert 0 not in seen and 1 in seen and max(seen) == 3


async def test_keywords_prefer_the_monster_whose_own_name_has_them(harness: Harness) -> None:
    player = bonded(harness, "ember")
    await player.run("north")
    assert "A sly bandit (normal rank)" in await player.run("con bandit")
    assert "Black Odo (iron rank)" in await player.run("con 2.bandit")
    assert "Black Odo (iron rank)" in await player.run("con chief")
    assert "quick hands" in await player.run("look bandit")
    assert "scarred and sour" in await player.run("look 2.bandit")
    assert "Your Cinder Flick hits a sly bandit" in await player.run("use cinder bandit")
    assert "You attack Black Odo!" in await player.run("kill 2.bandit")


async def test_consider_counts_abilities(harness: Harness) -> None:
    """The brute's hide turns blows but not abilities: it kills anyone who has only blows, but
    a fighter with Cinder Flick and Smoulder Fist (health 100 of 160) needs about 7 rounds to
    its 9, and wins (rated on blows alone, that fighter was told it would die at once)."""
    plain = harness.player()
    await plain.run("east")
    assert "A hide-bound brute (normal rank) would kill you before you could blink." in (
        await plain.run("consider brute"))
    fighter = bonded(harness, "ember")
    await fighter.run("east")
    assert "A hide-bound brute (normal rank) looks like a fair fight." in (
        await fighter.run("consider brute"))


# -- in the testing zone --------------------------------------------------------------------


async def test_flee_and_fighting_rules(arena: Harness) -> None:
    player = arena.player()
    assert "not someone to fight" in await player.run("kill elder")
    assert "You are not fighting anyone." in await player.run("flee")
    assert "You see no 'dragon' here to fight." in await player.run("kill dragon")


async def test_abilities_in_combat_earn_progress_on_the_kill(arena: Harness) -> None:
    player = bonded(arena, "ember")
    reply = await player.run("use cinder rat")
    assert "Your Cinder Flick hits a test rat for" in reply
    assert "A test rat is dead!" in reply  # 12 damage or more on 3 health
    line = await ability_line(player, "Cinder Flick")
    assert "progress 2/20" in line  # 1 for the use, 1 for the kill of a normal monster


async def test_death_sends_you_to_recovery_weak_and_keeps_everything(arena: Harness) -> None:
    player = arena.player()
    assert "You attack a test rat!" in await player.run("kill rat")
    arena.tick_until(player, "drops")
    await player.run("get ember")
    player.bond("ember", "power")
    await player.run("north")
    text = arena.tick_until(player, "You wake in the Test Recovery")
    assert "A test reaper attacks you!" in text
    assert "strikes you down" in text
    arena.tick()  # a tick of regeneration
    score = await player.run("score")
    health = int(re.search(r"Health (\d+)/160", score)[1])
    assert 40 <= health < 60  # a quarter of the maximum, and a tick or two of regeneration
    assert "weak for" in score
    assert "Essences 1/4: ember (power)" in score
    assert "an ember essence" not in await player.run("inventory")  # it was bonded
    ch = player.ch
    assert (ch.room_id, ch.health < 80, ch.weak_until > arena.clock()) == (
        "test_recovery", True, True)
    arena.advance(3)  # the weakness passes
    assert "weak for" not in await player.run("score")


async def test_monsters_respawn_and_zones_reset_without_duplicating(arena: Harness) -> None:
    player = arena.player()
    assert "You pick up a rusty sword." in await player.run("get sword")
    assert "You attack a test rat!" in await player.run("kill rat")
    arena.tick_until(player, "drops")
    assert "A test rat arrives." in arena.tick_until(player, "arrives.")
    for _ in range(10):  # a zone reset (every second) puts the sword back
        if "A rusty sword lies here." in await player.run("look"):
            break
        arena.advance(1)
        arena.tick()
    for _ in range(3):  # and further resets do not add more
        arena.advance(1)
        arena.tick()
    look = await player.run("look")
    assert look.count("A rusty sword lies here.") == 1  # put back once, not again and again
    assert "a rusty sword" in await player.run("inventory")
    assert [i.item_id for i in player.ch.inventory].count("rusty_sword") == 1
