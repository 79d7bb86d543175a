"""Combat, loot, quest, skill and death rules as pure functions (seeded randomness, no I/O)."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from mud.game import combat, quests, skills
from mud.game.combat import Fighter
from mud.game.ids import new_id
from mud.game.model import Character
from mud.world.loader import load_world
from mud.world.monsters import LootEntry, MonsterTemplate
from mud.world.quests import Objective, QuestTemplate

WORLD = load_world(Path(__file__).resolve().parent.parent / "world")


def fresh() -> Character:
    ch = Character(id=new_id(), player_id=uuid.uuid4(), name="Tester")
    ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
    return ch


def monster(**overrides: object) -> MonsterTemplate:
    fields = dict(id="rat", name="a rat", keywords=("rat",), description="d", rank="normal",
                  power=10, speed=10, spirit=10, recovery=10, health=10, damage=3, armour=0,
                  abilities=(), aggressive=False, peaceful=False, respawn=60, loot=())
    fields.update(overrides)
    return MonsterTemplate(**fields)  # type: ignore[arg-type]


def test_hit_chance_follows_speed_skill_evasion_and_rank() -> None:
    even = Fighter("normal", 10, 10)
    assert combat.hit_chance(even, even) == 0.70
    assert round(combat.hit_chance(Fighter("normal", 10, 15), even), 2) == 0.80
    assert round(combat.hit_chance(Fighter("normal", 10, 10, skill=5), even), 2) == 0.75
    assert round(combat.hit_chance(even, Fighter("normal", 10, 10, skill=10)), 2) == 0.60
    assert round(combat.hit_chance(Fighter("iron", 10, 10), even), 2) == 0.80
    assert combat.hit_chance(Fighter("normal", 10, 200), even) == combat.MAX_HIT
    assert combat.hit_chance(even, Fighter("gold", 10, 200)) == combat.MIN_HIT


def test_damage_from_weapon_power_rank_armour_and_weakness() -> None:
    assert combat.blow(4, Fighter("normal", 10, 10)) == 6  # 4 + 10 // 5
    assert combat.blow(4, Fighter("iron", 10, 10)) == 8  # times 1.25, rounded
    assert combat.blow(4, Fighter("normal", 10, 10, weak=True)) == 4  # 6 * 0.75 = 4.5
    assert combat.damage_taken(6, Fighter("normal", 10, 10, armour=2)) == 4
    assert combat.damage_taken(6, Fighter("normal", 10, 10, armour=50)) == 1  # always 1


def test_a_swing_misses_or_hits_by_the_seeded_roll() -> None:
    attacker, defender = Fighter("normal", 10, 10), Fighter("normal", 10, 10, armour=1)
    rolls = [combat.swing(random.Random(seed), 4, attacker, defender) for seed in range(200)]
    assert set(rolls) == {0, 5}
    hits = sum(1 for r in rolls if r) / len(rolls)
    assert 0.6 < hits < 0.8
    assert rolls == [combat.swing(random.Random(seed), 4, attacker, defender)
                     for seed in range(200)]  # the same seeds, the same fight


def test_loot_rolls_each_entry_with_a_seeded_generator() -> None:
    template = monster(loot=(LootEntry("copper_coin", 1.0, 2, 5),
                             LootEntry("ember_essence", 0.25)))
    drops = [combat.roll_loot(template, random.Random(seed)) for seed in range(400)]
    coins = [q for drop in drops for item, q in drop if item == "copper_coin"]
    assert len(coins) == 400 and set(coins) == {2, 3, 4, 5}
    essences = sum(1 for drop in drops for item, _ in drop if item == "ember_essence")
    assert 60 < essences < 140
    assert combat.roll_loot(template, random.Random(7)) == combat.roll_loot(
        template, random.Random(7))


def test_flee_chance_and_assessment() -> None:
    assert combat.flee_chance(10, 10) == 0.5
    assert combat.flee_chance(30, 10) == 0.9 and combat.flee_chance(1, 50) == 0.2
    assert combat.assessment(100, 10) == "would be no match for you"
    assert combat.assessment(100, 100) == "looks like a fair fight"
    assert combat.assessment(100, 1000) == "would kill you before you could blink"


def test_death_penalty_and_kill_progress() -> None:
    assert combat.pools_after_death(160) == 40
    assert combat.pools_after_death(3) == 1
    assert combat.ability_progress_for_kill("normal") == 1
    assert combat.ability_progress_for_kill("iron") == 2


def test_skills_rise_with_use() -> None:
    ch = fresh()
    rng = random.Random(3)
    assert skills.level_of(ch, "swordsmanship") == 0
    levels = [skills.practise(ch, "swordsmanship", rng) for _ in range(60)]
    assert skills.level_of(ch, "swordsmanship") >= 3
    # the first use teaches level 1; each later level came once
    assert [lvl for lvl in levels if lvl] == list(range(1, skills.level_of(
        ch, "swordsmanship") + 1))
    skill = next(s for s in ch.skills if s.skill_id == "swordsmanship")
    assert skill.experience < skills.experience_needed(skill.level)


QUEST = QuestTemplate(
    id="q", name="Q", giver="elder", description="d", completion="c", rank="normal",
    requires=(), repeatable=False,
    objectives=(Objective("kill", "grey_wolf", 2), Objective("collect", "healing_herb", 2),
                Objective("visit", "village_square"),
                Objective("deliver", "faded_map", 1, "elder")),
    start_items=(), reward_items=(("tide_essence", 1), ("copper_coin", 5)), reward_progress=3)


def test_quest_objectives_are_tracked_until_done() -> None:
    ch = fresh()
    row = quests.accept(ch, QUEST)
    table = {"q": QUEST}
    assert quests.record(ch, table, "kill", "grey_wolf")[0][2] == 1
    quests.record(ch, table, "kill", "grey_wolf")
    assert quests.record(ch, table, "kill", "grey_wolf") == []  # already 2/2
    assert quests.record(ch, table, "kill", "rat") == []
    quests.record(ch, table, "visit", "village_square")
    assert quests.wants_delivery(ch, table, "faded_map", "elder")
    assert not quests.wants_delivery(ch, table, "faded_map", "someone_else")
    quests.record(ch, table, "deliver", "faded_map", "elder")
    assert not quests.is_complete(ch, row, QUEST)  # the herbs are still missing
    ch.add_item("healing_herb", 3, True)
    assert quests.is_complete(ch, row, QUEST)


def test_turning_in_takes_the_collected_items_and_gives_the_rewards_at_once() -> None:
    ch = fresh()
    row = quests.accept(ch, QUEST)
    row.progress = {"kill:grey_wolf": 2, "visit:village_square": 1, "deliver:faded_map": 1}
    ch.add_item("healing_herb", 3, True)
    assert quests.turn_in(ch, row, QUEST, WORLD.items)
    assert {(r.item_id, r.quantity) for r in ch.inventory} == {
        ("healing_herb", 1), ("tide_essence", 1), ("copper_coin", 5)}
    assert row.status == "completed" and row.completed_at is not None
    assert "q" in ch.completed_quests
    assert quests.offered(ch, {"q": QUEST}, "elder") == []  # not repeatable


def test_rewards_that_do_not_fit_change_nothing() -> None:
    ch = fresh()
    row = quests.accept(ch, QUEST)
    row.progress = {"kill:grey_wolf": 2, "visit:village_square": 1, "deliver:faded_map": 1}
    ch.add_item("healing_herb", 2, True)
    for _ in range(ch.inventory_capacity - 1):
        ch.add_item("rusty_sword", 1, False)
    before = [(r.item_id, r.quantity) for r in ch.inventory]
    # the herbs free one stack; the two reward items need two
    assert not quests.turn_in(ch, row, QUEST, WORLD.items)
    assert [(r.item_id, r.quantity) for r in ch.inventory] == before
    assert row.status == "active"


def test_offers_wait_for_prerequisites_and_rank() -> None:
    later = QuestTemplate(**{**QUEST.__dict__, "id": "later", "requires": ("q",)})
    iron = QuestTemplate(**{**QUEST.__dict__, "id": "iron", "rank": "iron"})
    table = {"q": QUEST, "later": later, "iron": iron}
    ch = fresh()
    assert [q.id for q in quests.offered(ch, table, "elder")] == ["q"]
    ch.completed_quests.add("q")
    ch.rank = "iron"
    assert [q.id for q in quests.offered(ch, table, "elder")] == ["later", "iron"]


def test_add_items_is_all_or_nothing() -> None:
    ch = fresh()
    for _ in range(ch.inventory_capacity - 1):
        ch.add_item("rusty_sword", 1, False)
    assert not ch.add_items([("copper_coin", 3, True), ("rusty_sword", 1, False)])
    assert len(ch.inventory) == ch.inventory_capacity - 1
    assert ch.add_items([("copper_coin", 3, True)])
    assert ch.add_items([("copper_coin", 2, True)])  # joins the stack: no new slot needed
    assert next(r for r in ch.inventory if r.item_id == "copper_coin").quantity == 5
