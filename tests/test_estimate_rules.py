"""The rules behind issue 13's fighting fixes, as pure functions: when a use of an ability
teaches, how cooldowns are told, how `consider` plays a fight out (blows, abilities, heals,
pools, monsters' abilities) and which monster a keyword names first."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from mud.commands.targets import parse_target, select, select_monsters
from mud.game import combat
from mud.game.abilities import Outcome, teaches
from mud.game.bonding import apply_bond, plan_bond
from mud.game.combat import Move, Side
from mud.game.fighting import size_up
from mud.game.ids import new_id
from mud.game.mobs import Mob
from mud.game.model import Character, InventoryItem
from mud.game.state import Game
from mud.text import whole_seconds
from mud.world.essences import AbilityTemplate
from mud.world.loader import load_world

WORLD = load_world(Path(__file__).resolve().parent.parent / "world")
ROUND = 3.0  # seconds: the default game tick


def template(effect: str, utility: str = "") -> AbilityTemplate:
    return AbilityTemplate("Trial", "trial", "d", "normal", "stamina", 5, 3, effect, 10,
                           utility=utility)


def bonded(*essences: str) -> Character:
    """A rested character who has bonded essences (to power)."""
    ch = Character(new_id(), uuid.uuid4(), "Ann", room_id=WORLD.start_room)
    for essence in essences:
        row = InventoryItem(new_id(), f"{essence}_essence")
        ch.inventory.append(row)
        apply_bond(ch, plan_bond(ch, WORLD.essences, row.id, essence, "power"))
    ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
    return ch


def sized_up(ch: Character, monster_id: str) -> combat.Estimate:
    monster = WORLD.monsters[monster_id]
    return size_up(Game(WORLD), ch, Mob(monster, "x", monster.health), 1000.0, ROUND)


# -- what teaches ----------------------------------------------------------------------------


@pytest.mark.parametrize(("effect", "utility", "did", "taught"), [
    ("damage", "", Outcome(hit_monster=True), True),
    ("damage", "", Outcome(), False),
    ("heal", "", Outcome(restored=7), True),
    ("heal", "", Outcome(restored=0), False),
    ("buff", "", Outcome(in_fight=True), True),
    ("buff", "", Outcome(), False),
    ("utility", "recall", Outcome(moved=True), True),
    ("utility", "recall", Outcome(), False),
    ("utility", "sense", Outcome(found=2), True),
    ("utility", "sense", Outcome(found=0), False),
])
def test_an_ability_teaches_only_when_it_did_something(effect: str, utility: str, did: Outcome,
                                                        taught: bool) -> None:
    assert teaches(template(effect, utility), did) is taught


def test_cooldowns_are_told_in_whole_seconds_rounded_up() -> None:
    assert [whole_seconds(s) for s in (0.001, 0.3, 0.5, 1.0, 2.0001, 11.9)] == [1, 1, 1, 1, 3, 12]


# -- playing a fight out ---------------------------------------------------------------------


def test_blows_alone_take_health_over_expected_damage_rounds() -> None:
    rounds = combat.estimate(Side(100, 100, blow=4.0), Side(60, 60, blow=5.0))
    assert rounds.yours == pytest.approx(15.0)  # 60 / 4
    assert rounds.theirs == pytest.approx(20.0)  # 100 / 5
    assert combat.assessment(rounds.theirs, rounds.yours) == "looks like a fair fight"


def test_damage_abilities_count_as_far_as_the_pool_pays() -> None:
    cinder = Move(size=12, per_round=1.0, cost=5, resource="stamina")
    foe = Side(100, 100, blow=5.0)
    rested = combat.estimate(Side(100, 100, 4.0, strikes=(cinder,), pools={"stamina": 100}), foe)
    assert rested.yours == pytest.approx(100 / 16)  # 12 + 4 a round, stamina for 20 uses
    tired = combat.estimate(Side(100, 100, 4.0, strikes=(cinder,), pools={"stamina": 10}), foe)
    assert tired.yours == pytest.approx(2 + (100 - 32) / 4)  # two uses, then blows alone
    spent = combat.estimate(Side(100, 100, 4.0, strikes=(cinder,), pools={"stamina": 0}), foe)
    assert spent.yours == pytest.approx(25.0)


def test_heals_make_a_side_last_longer_until_the_pool_runs_dry() -> None:
    mend = Move(size=10, per_round=0.5, cost=10, resource="mana")
    foe = Side(1000, 1000, blow=10.0)
    bare = combat.estimate(Side(100, 100, 1.0), foe)
    healing = combat.estimate(Side(100, 100, 1.0, heals=(mend,), pools={"mana": 50}), foe)
    assert bare.theirs == pytest.approx(10.0)
    assert healing.theirs == pytest.approx(15.0)  # five heals of 10: 50 more health to take


def test_a_monsters_heals_wait_until_it_is_down_to_half() -> None:
    glyph = Move(size=10, per_round=0.2)
    you = Side(1000, 1000, blow=10.0)
    assert combat.estimate(you, Side(100, 100, 1.0)).yours == pytest.approx(10.0)
    healer = Side(100, 100, 1.0, heals=(glyph,), heals_below=0.5, abilities_replace_blow=True)
    # from round 6 on, below half, it heals 2 a round: 10 more health over five rounds
    assert combat.estimate(you, healer).yours == pytest.approx(11.0)


def test_a_monsters_ability_takes_the_place_of_its_blow() -> None:
    slash = Move(size=20, per_round=0.25)
    you = Side(100, 100, blow=1.0)
    rounds = combat.estimate(you, Side(1000, 1000, 4.0, strikes=(slash,),
                                       abilities_replace_blow=True)).theirs
    assert rounds == pytest.approx(100 / (0.25 * 20 + 0.75 * 4))


def test_a_side_that_can_never_win_needs_forever() -> None:
    wall = Side(10_000, 10_000, blow=0.0)
    rounds = combat.estimate(Side(100, 100, blow=1.0), wall)
    assert rounds.theirs == math.inf and rounds.yours == pytest.approx(10_000)
    assert combat.assessment(rounds.theirs, rounds.yours) == "would be no match for you"
    assert combat.assessment(math.inf, math.inf) == "looks like a fair fight"
    assert combat.assessment(10, math.inf) == "would kill you before you could blink"


# -- sizing up a monster in the game ---------------------------------------------------------


def test_a_bonded_fighter_is_rated_on_its_abilities_not_its_blows_alone() -> None:
    plain, ember = bonded(), bonded("ember")
    alone = sized_up(plain, "restless_skeleton")
    armed = sized_up(ember, "restless_skeleton")
    assert combat.assessment(alone.theirs, alone.yours) == "would kill you before you could blink"
    assert combat.assessment(armed.theirs, armed.yours) == "would be no match for you"
    ember.stamina = 0  # Cinder Flick and Smoulder Fist cost stamina: without it, blows alone
    tired = sized_up(ember, "restless_skeleton")
    assert tired.yours > 5 * armed.yours


def test_a_heal_counts_for_the_one_who_has_it() -> None:
    ember, healer = bonded("ember", "stone"), bonded("ember", "tusk")  # power alike: 22
    assert ember.max_health == healer.max_health
    assert sized_up(healer, "grey_alpha").theirs > sized_up(ember, "grey_alpha").theirs


def test_a_monsters_abilities_count_against_you() -> None:
    ch = bonded()
    boar = WORLD.monsters["wild_boar"]  # Gore Rush: more than its blow, through armour
    with_rush = size_up(Game(WORLD), ch, Mob(boar, "x", boar.health), 1000.0, ROUND)
    tame = replace(boar, abilities=())
    without = size_up(Game(WORLD), ch, Mob(tame, "x", tame.health), 1000.0, ROUND)
    assert with_rush.theirs < without.theirs


def test_weakness_and_a_hurt_monster_move_the_estimate() -> None:
    ch = bonded()
    wolf = WORLD.monsters["grey_wolf"]
    fresh = size_up(Game(WORLD), ch, Mob(wolf, "x", wolf.health), 1000.0, ROUND)
    hurt = size_up(Game(WORLD), ch, Mob(wolf, "x", wolf.health // 2), 1000.0, ROUND)
    assert hurt.yours == pytest.approx(fresh.yours / 2, rel=0.05)
    ch.weak_until = 2000.0
    weak = size_up(Game(WORLD), ch, Mob(wolf, "x", wolf.health), 1000.0, ROUND)
    assert weak.yours > fresh.yours


# -- which monster a keyword names -----------------------------------------------------------


def test_a_keyword_names_first_the_monster_whose_own_name_has_it() -> None:
    chief, bandit = (Mob(WORLD.monsters[m], "x", 1) for m in ("bandit_chief", "road_bandit"))
    tent = [chief, bandit]  # Red Hessa is a bandit by keyword only
    assert select_monsters(tent, parse_target("bandit")) == [bandit]
    assert select_monsters(tent, parse_target("2.bandit")) == [chief]
    assert select_monsters(tent, parse_target("3.bandit")) == []
    assert select_monsters(tent, parse_target("hessa")) == [chief]
    assert select_monsters(tent, parse_target("all.bandit")) == [bandit, chief]
    camp = [Mob(WORLD.monsters["road_bandit"], "x", 1) for _ in range(2)]
    assert select_monsters(camp, parse_target("2.bandit")) == [camp[1]]  # numbering as before
    assert select(tent, parse_target("bandit"), lambda m: m.keywords) == [chief]  # no names
