"""Containers as pure rules: contents in metadata, stacking inside, capacity, the pack."""

from __future__ import annotations

import uuid

import pytest

from mud.game import containers
from mud.game.containers import ContainerError, Content
from mud.game.model import Character, Part
from mud.world.items import ItemTemplate

POUCH = ItemTemplate("pouch", "a pouch", ("pouch",), "container", False, "A pouch.", capacity=2)
SACK = ItemTemplate("sack", "a sack", ("sack",), "container", False, "A sack.", capacity=5)
COIN = ItemTemplate("coin", "a coin", ("coin",), "currency", True, "A coin.")
HERB = ItemTemplate("herb", "a herb", ("herb",), "consumable", True, "A herb.",
                    consume="eat", heal_pool="health", heal_amount=5)
SWORD = ItemTemplate("sword", "a sword", ("sword",), "weapon", False, "A sword.",
                     slot="wield", damage=4, skill="swordsmanship", durability=60)
ITEMS = {t.id: t for t in (POUCH, SACK, COIN, HERB, SWORD)}


def character() -> Character:
    return Character(uuid.uuid4(), uuid.uuid4(), "Tester")


def test_contents_round_trip_through_metadata_and_keep_other_keys() -> None:
    ch = character()
    bag = ch.add_item("pouch", 1, False, {"enchantments": ["light"]})
    containers.write(bag, [Content("coin", 3), Content("sword", 1, {"durability": 7})])
    assert bag.metadata == {"enchantments": ["light"], "contents": [
        {"item": "coin", "quantity": 3, "metadata": None},
        {"item": "sword", "quantity": 1, "metadata": {"durability": 7}}]}
    assert containers.contents(bag) == [Content("coin", 3), Content("sword", 1,
                                                                    {"durability": 7})]
    assert containers.listing(bag, ITEMS) == ["a coin (x3)", "a sword"]
    containers.write(bag, [])
    assert bag.metadata == {"enchantments": ["light"]}
    plain = ch.add_item("pouch", 1, False)
    containers.write(plain, [])
    assert plain.metadata is None and containers.contents(plain) == []


def test_contents_are_copies_and_bad_entries_are_skipped() -> None:
    ch = character()
    bag = ch.add_item("pouch", 1, False, {"contents": [
        {"item": "coin", "quantity": 2}, {"quantity": 3}, "junk", {"item": "herb", "quantity": 0},
        {"item": "sword", "metadata": {"durability": 9}}]})
    found = containers.contents(bag)
    assert found == [Content("coin", 2), Content("sword", 1, {"durability": 9})]
    found[1].metadata["durability"] = 1
    assert bag.metadata["contents"][4]["metadata"] == {"durability": 9}


def test_add_stacks_inside_and_counts_stacks_against_capacity() -> None:
    entries: list[Content] = []
    containers.add(entries, POUCH, COIN, 3)
    containers.add(entries, POUCH, COIN, 2)  # joins the coins: still one stack
    containers.add(entries, POUCH, SWORD, 1)
    assert entries == [Content("coin", 5), Content("sword", 1)]
    containers.add(entries, POUCH, COIN, 1)  # full, but coins join their stack
    assert entries[0].quantity == 6
    with pytest.raises(ContainerError) as full:
        containers.add(entries, POUCH, HERB, 1)
    assert full.value.code == "CONTAINER_FULL"
    assert str(full.value) == "A pouch is full (2/2 stacks)."
    with pytest.raises(ContainerError) as nested:
        containers.add([], SACK, POUCH, 1)
    assert nested.value.code == "CONTAINER_IN_CONTAINER"
    with pytest.raises(ContainerError) as not_one:
        containers.add([], SWORD, COIN, 1)
    assert not_one.value.code == "NOT_A_CONTAINER"


def test_stackables_with_metadata_keep_their_own_stack() -> None:
    entries = [Content("coin", 2)]
    containers.add(entries, SACK, COIN, 1, {"cursed": True})
    assert entries == [Content("coin", 2), Content("coin", 1, {"cursed": True})]


def test_take_part_or_all_of_a_stack() -> None:
    entries = [Content("coin", 5), Content("sword"), Content("sword")]
    assert containers.take(entries, Content("coin", 5), 2) == Content("coin", 2)
    assert entries[0] == Content("coin", 3)
    assert containers.take(entries, Content("coin", 3), 10) == Content("coin", 3)
    assert containers.take(entries, Content("sword"), 1) == Content("sword")
    assert entries == [Content("sword")]
    with pytest.raises(ContainerError):
        containers.take(entries, Content("herb"), 1)


def test_put_in_moves_from_the_pack_and_marks_inventory() -> None:
    ch = character()
    bag = ch.add_item("sack", 1, False)
    coins = ch.add_item("coin", 7, True)
    sword = ch.add_item("sword", 1, False, {"durability": 12})
    ch.dirty.clear()
    assert containers.put_in(ch, bag, SACK, coins, COIN, 3) == 3
    assert coins.quantity == 4 and Part.INVENTORY in ch.dirty
    assert containers.put_in(ch, bag, SACK, coins, COIN, 99) == 4
    assert coins not in ch.inventory
    containers.put_in(ch, bag, SACK, sword, SWORD, 1)
    assert ch.carried == [bag]  # things inside take no stack in the pack
    assert containers.contents(bag) == [Content("coin", 7), Content("sword", 1,
                                                                    {"durability": 12})]


def test_put_in_refuses_without_changing_anything() -> None:
    ch = character()
    bag = ch.add_item("pouch", 1, False)
    other = ch.add_item("sack", 1, False)
    coins = ch.add_item("coin", 2, True)
    herbs = ch.add_item("herb", 2, True)
    sword = ch.add_item("sword", 1, False)
    containers.put_in(ch, bag, POUCH, coins, COIN, 2)
    containers.put_in(ch, bag, POUCH, herbs, HERB, 2)
    before = [(r.item_id, r.quantity, r.metadata) for r in ch.inventory]
    ch.dirty.clear()
    for row, template, code in ((sword, SWORD, "CONTAINER_FULL"),
                                (other, SACK, "CONTAINER_IN_CONTAINER"),
                                (bag, POUCH, "CONTAINER_IN_CONTAINER")):
        with pytest.raises(ContainerError) as refused:
            containers.put_in(ch, bag, POUCH, row, template, 1)
        assert refused.value.code == code
    assert not ch.dirty
    sword.slot = 0  # wielded: not in the pack
    ch.dirty.clear()
    with pytest.raises(ContainerError) as worn:
        containers.put_in(ch, other, SACK, sword, SWORD, 1)
    assert worn.value.code == "NOT_CARRIED"
    assert [(r.item_id, r.quantity, r.metadata) for r in ch.inventory] == before
    assert not ch.dirty


def test_take_out_joins_the_pack_subject_to_its_capacity() -> None:
    ch = character()
    bag = ch.add_item("sack", 1, False)
    ch.add_item("coin", 1, True)
    containers.write(bag, [Content("coin", 4), Content("sword", 1, {"durability": 3})])
    for n in range(ch.inventory_capacity - 2):
        ch.add_item(f"junk{n}", 1, False)
    assert len(ch.carried) == ch.inventory_capacity
    ch.dirty.clear()
    # coins join the coin stack in a full pack; the sword needs a stack of its own
    taken = containers.take_out(ch, bag, Content("coin", 4), COIN, 3)
    assert taken == Content("coin", 3) and Part.INVENTORY in ch.dirty
    assert next(r for r in ch.inventory if r.item_id == "coin").quantity == 4
    with pytest.raises(ContainerError) as full:
        containers.take_out(ch, bag, Content("sword", 1, {"durability": 3}), SWORD, 1)
    assert full.value.code == "PACK_FULL"
    assert containers.contents(bag) == [Content("coin", 1), Content("sword", 1,
                                                                    {"durability": 3})]
    ch.remove_item(next(r for r in ch.inventory if r.item_id == "junk0"), 1)
    containers.take_out(ch, bag, Content("sword", 1, {"durability": 3}), SWORD, 1)
    assert any(r.item_id == "sword" and r.metadata == {"durability": 3} for r in ch.carried)
    assert containers.contents(bag) == [Content("coin", 1)]


def test_a_container_not_in_the_pack_is_refused() -> None:
    ch = character()
    bag = ch.add_item("sack", 1, False)
    coins = ch.add_item("coin", 1, True)
    elsewhere = character().add_item("sack", 1, False)
    with pytest.raises(ContainerError) as refused:
        containers.put_in(ch, elsewhere, SACK, coins, COIN, 1)
    assert refused.value.code == "CONTAINER_NOT_CARRIED"
    containers.write(elsewhere, [Content("coin", 1)])
    with pytest.raises(ContainerError):
        containers.take_out(ch, elsewhere, Content("coin", 1), COIN, 1)
    assert containers.contents(bag) == []
