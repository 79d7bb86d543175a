"""Essence, ability and regeneration rules as pure functions, against the bundled world data."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mud.game import abilities, rules
from mud.game.bonding import GameError, apply_bond, essence_bonuses, plan_bond
from mud.game.ids import new_id
from mud.game.model import Character, Part
from mud.world.essences import parse_essences
from mud.world.loader import load_world

WORLD = load_world(Path(__file__).resolve().parent.parent / "world")
CATALOGUE = WORLD.essences


def fresh() -> Character:
    ch = Character(id=new_id(), player_id=uuid.uuid4(), name="Tester")
    ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
    return ch


def bond(ch: Character, essence_id: str, attribute: str) -> None:
    row = ch.add_item(f"{essence_id}_essence", 1, False)
    apply_bond(ch, plan_bond(ch, CATALOGUE, row.id, essence_id, attribute))


def test_bundled_world_has_the_content_the_game_needs() -> None:
    bondable = [e for e in CATALOGUE.by_id.values() if not e.confluence]
    assert len(bondable) >= 16
    assert all(len(e.abilities) >= 5 for e in CATALOGUE.by_id.values())
    assert len(CATALOGUE.recipes) >= 8
    assert CATALOGUE.by_id[CATALOGUE.default_confluence].confluence
    for essence in bondable:  # an essence item for each bondable essence
        assert WORLD.items[essence.item_id].essence == essence.id


def test_bonus_is_larger_for_the_favoured_attribute_and_grows_with_rank() -> None:
    assert rules.bond_bonus("normal", favoured=True) == 6
    assert rules.bond_bonus("normal", favoured=False) == 3
    assert rules.bond_bonus("iron", favoured=True) == 12


def test_bonding_raises_the_attribute_and_its_pool_maximum() -> None:
    ch = fresh()
    assert CATALOGUE.by_id["stone"].favours == "power"
    bond(ch, "stone", "power")
    assert ch.power == 16 and ch.max_health == 160
    assert ch.health == 100  # the maximum follows; the pool itself refills by regeneration
    bond(ch, "moon", "power")  # moon favours spirit: the smaller bonus
    assert ch.power == 19
    assert essence_bonuses(ch, CATALOGUE)["power"] == 9


def test_bonding_moves_the_item_and_creates_abilities_at_normal() -> None:
    ch = fresh()
    bond(ch, "ember", "power")
    assert ch.inventory == []
    assert [e.essence_type for e in ch.essences] == ["ember"]
    assert ch.essences[0].rank_bonded == "normal" and ch.essences[0].attribute_bound == "power"
    names = [a.ability_name for a in ch.abilities]
    assert names == [a.name for a in CATALOGUE.by_id["ember"].abilities]
    assert all(a.current_rank == "normal" for a in ch.abilities)
    awakens = {a.name: a.awakens for a in CATALOGUE.by_id["ember"].abilities}
    assert all(a.awakened == (awakens[a.ability_name] == "normal") for a in ch.abilities)
    assert {Part.CORE, Part.ESSENCES, Part.INVENTORY} <= ch.dirty


def test_same_essence_twice_is_refused_and_changes_nothing() -> None:
    ch = fresh()
    bond(ch, "ember", "power")
    row = ch.add_item("ember_essence", 1, False)
    with pytest.raises(GameError) as caught:
        plan_bond(ch, CATALOGUE, row.id, "ember", "speed")
    assert caught.value.code == "ESSENCE_ALREADY_BONDED"
    assert len(ch.essences) == 1 and ch.speed == 10


def test_third_essence_brings_the_recipe_confluence() -> None:
    recipe, result = next(iter(CATALOGUE.recipes.items()))
    ch = fresh()
    for essence_id in sorted(recipe):
        bond(ch, essence_id, "speed")
    assert len(ch.essences) == 4
    confluence = ch.essences[3]
    assert confluence.essence_type == result
    assert confluence.attribute_bound == CATALOGUE.by_id[result].favours
    assert len(ch.abilities) == sum(len(CATALOGUE.by_id[e.essence_type].abilities)
                                    for e in ch.essences)


def test_third_essence_without_a_recipe_brings_the_default_confluence() -> None:
    three = ("stone", "gale", "moon")
    assert frozenset(three) not in CATALOGUE.recipes
    ch = fresh()
    for essence_id in three:
        bond(ch, essence_id, "recovery")
    assert ch.essences[3].essence_type == CATALOGUE.default_confluence


def test_the_fourth_essence_limit() -> None:
    ch = fresh()
    for essence_id in ("stone", "gale", "moon"):
        bond(ch, essence_id, "power")
    row = ch.add_item("tide_essence", 1, False)
    with pytest.raises(GameError) as caught:
        plan_bond(ch, CATALOGUE, row.id, "tide", "power")
    assert caught.value.code == "MAX_ESSENCES_REACHED"


def test_a_confluence_cannot_be_bonded_from_an_item() -> None:
    with pytest.raises(GameError) as caught:
        plan_bond(fresh(), CATALOGUE, uuid.uuid4(), CATALOGUE.default_confluence, "power")
    assert caught.value.code == "CONFLUENCE_NOT_BONDABLE"


def test_a_bad_attribute_is_refused() -> None:
    with pytest.raises(GameError) as caught:
        plan_bond(fresh(), CATALOGUE, uuid.uuid4(), "stone", "charisma")
    assert caught.value.code == "INVALID_ATTRIBUTE"


def test_ability_rank_never_passes_the_character_rank_plus_one() -> None:
    ch = fresh()
    bond(ch, "stone", "power")
    first = ch.abilities[0]
    for _ in range(abilities.PROGRESS_TO_NEXT["normal"]):
        abilities.earn_progress(ch, first, CATALOGUE)
    assert first.current_rank == "iron"
    for _ in range(abilities.PROGRESS_TO_NEXT["iron"] * 2):
        abilities.earn_progress(ch, first, CATALOGUE)
    assert first.current_rank == "iron"  # the character is still normal: iron is the cap
    assert abilities.progress(first) == abilities.PROGRESS_TO_NEXT["iron"]  # full, waiting


def test_character_rises_only_when_every_awakened_ability_reached_the_next_rank() -> None:
    ch = fresh()
    bond(ch, "stone", "power")
    awake = [a for a in ch.abilities if a.awakened]
    asleep = [a for a in ch.abilities if not a.awakened]
    assert len(awake) == 2 and asleep
    for _ in range(abilities.PROGRESS_TO_NEXT["normal"]):
        advance = abilities.earn_progress(ch, awake[0], CATALOGUE)
    assert advance.ability_rank == "iron" and advance.character_rank is None
    assert ch.rank == "normal"
    for _ in range(abilities.PROGRESS_TO_NEXT["normal"]):
        advance = abilities.earn_progress(ch, awake[1], CATALOGUE)
    assert advance.character_rank == "iron" and ch.rank == "iron"
    iron = [a.ability_name for a in advance.awakened]
    assert iron == [a.ability_name for a in asleep
                    if abilities.template_of(ch, a, CATALOGUE).awakens == "iron"]
    # the capped ability moves on now that the cap has risen
    for _ in range(abilities.PROGRESS_TO_NEXT["iron"]):
        abilities.earn_progress(ch, awake[0], CATALOGUE)
    assert awake[0].current_rank == "bronze"


def test_no_essences_means_no_rank_up() -> None:
    assert abilities.character_rank_up(fresh()) is None


def test_awakening_by_rank() -> None:
    ch = fresh()
    bond(ch, "tide", "recovery")
    ch.rank = "bronze"
    woken = abilities.awaken(ch, CATALOGUE)
    ranks = {abilities.template_of(ch, a, CATALOGUE).awakens for a in woken}
    assert ranks == {"iron", "bronze"}
    assert [a.awakened for a in ch.abilities].count(False) == 1  # the silver one sleeps on


def test_use_spends_cost_starts_cooldown_and_refuses_until_ready() -> None:
    ch = fresh()
    bond(ch, "ember", "power")
    ability = ch.abilities[0]
    template = abilities.template_of(ch, ability, CATALOGUE)
    assert abilities.refusal(ch, ability, template, now=1000.0) is None
    before = getattr(ch, template.resource)
    abilities.spend(ch, ability, template, now=1000.0)
    assert getattr(ch, template.resource) == before - template.cost
    assert "not ready" in abilities.refusal(ch, ability, template, now=1000.5)
    assert abilities.refusal(ch, ability, template, now=1000.0 + template.cooldown) is None
    setattr(ch, template.resource, template.cost - 1)
    assert "enough" in abilities.refusal(ch, ability, template, now=5000.0)


def test_buffs_count_only_while_they_last() -> None:
    ch = fresh()
    bond(ch, "stone", "power")
    buff = next(a for a in ch.abilities
                if abilities.template_of(ch, a, CATALOGUE).effect == "buff" and a.awakened)
    template = abilities.template_of(ch, buff, CATALOGUE)
    abilities.spend(ch, buff, template, now=100.0)
    assert abilities.effective(ch, template.attribute, CATALOGUE, 101.0) == \
        getattr(ch, template.attribute) + template.amount
    assert abilities.effective(ch, template.attribute, CATALOGUE, 100.0 + template.duration) \
        == getattr(ch, template.attribute)


def test_effect_size_grows_with_ability_rank() -> None:
    template = CATALOGUE.by_id["ember"].abilities[0]
    assert abilities.amount(template, "iron", 10) > abilities.amount(template, "normal", 10)


def test_regeneration_by_recovery_faster_resting_never_above_maximum() -> None:
    assert rules.regeneration(10) == 2 and rules.regeneration(4) == 1
    assert rules.regeneration(10, resting=True) == 6
    ch = fresh()
    ch.health, ch.mana = 50, 99
    assert abilities.regenerate(ch, ch.recovery)
    assert (ch.health, ch.mana, ch.stamina) == (52, 100, 100)
    ch.resting = True
    abilities.regenerate(ch, ch.recovery)
    assert ch.health == 58
    full = fresh()
    assert not abilities.regenerate(full, full.recovery)


def problems_of(data: dict) -> list[str]:
    found: list[str] = []
    parse_essences(data, lambda entry, message: found.append(f"{entry}: {message}"))
    return found


def test_essence_data_errors_name_the_entry() -> None:
    ability = {"name": "Spark", "description": "d", "awakens": "normal", "resource": "mana",
               "cost": 1, "cooldown": 1, "effect": "damage", "amount": 3}
    data = {"default_confluence": "nothing",
            "essence": [{"id": "ash", "name": "Ash", "description": "d", "favours": "luck",
                         "ability": [ability, {**ability, "effect": "buff", "colour": "red"}]}],
            "confluence": [{"essences": ["ash", "ash", "oak"], "result": "ash"}]}
    found = problems_of(data)
    assert any("essence #1 (ash)" in p and "'favours'" in p for p in found)
    assert any("ability #2" in p and "unknown key(s) colour" in p for p in found)
    assert any("ability #2" in p and "'attribute'" in p for p in found)
    assert any("already used" in p for p in found)
    assert any("confluence #1" in p and "three different" in p for p in found)
    assert any("default_confluence" in p for p in found)


def test_a_valid_minimal_file_has_no_problems() -> None:
    ability = {"name": "Spark", "description": "d", "awakens": "normal", "resource": "mana",
               "cost": 1, "cooldown": 1, "effect": "damage", "amount": 3}
    data = {"default_confluence": "blend",
            "essence": [{"id": "ash", "name": "Ash", "description": "d", "favours": "power",
                         "ability": [ability]},
                        {"id": "blend", "name": "Blend", "description": "d", "favours": "spirit",
                         "confluence": True, "ability": [{**ability, "name": "Mix"}]}]}
    assert problems_of(data) == []
