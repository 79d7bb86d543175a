"""Item commands in memory, on the bundled world: getting, dropping and giving by target,
stacks, a full pack, wearing and wielding refusals, examining, containers, eating and drinking,
collect objectives that count aloud, and one attack figure. Inventory rows in the database and
what survives a restart stay tested end to end (tests/test_equipment.py, tests/test_play.py)."""

from __future__ import annotations

import re

from mud.game.ids import new_id
from mud.game.model import QuestProgress
from tests.harness import Harness

# -- getting, dropping and giving -----------------------------------------------------------


async def test_get_drop_give_with_targets() -> None:
    harness = Harness()  # a fresh game: floor items are where the world puts them
    alice = harness.player("Alice")
    bob = harness.player("Bob")
    assert "Bob has entered the game." in alice.heard()
    assert "You pick up a rusty sword." in await alice.run("get sword")
    await alice.run("east")  # the smithy lane holds a bronze sword
    await bob.run("east")
    assert "You pick up a bronze sword." in await alice.run("get sword")
    assert "You see no 'sword' here." in await alice.run("get sword")
    # 2.sword is the second sword carried: the bronze one
    given = await alice.run("give 2.sword to bob")
    assert "You give a bronze sword to Bob." in given
    assert "Alice gives you a bronze sword." in bob.heard()
    assert "a bronze sword" in await bob.run("inventory")
    assert "bronze" in await bob.run("look sword")
    assert "You drop a bronze sword." in await bob.run("drop all.sword")
    assert "A bronze sword lies here." in await bob.run("look")
    assert "There is no 'nobody' here." in await alice.run("give sword nobody")
    assert "You don't have any 'shield'." in await alice.run("give shield bob")
    assert bob.ch.inventory == []


async def test_stacks_and_counts() -> None:
    harness = Harness()  # a fresh game: floor items are where the world puts them
    alice = harness.player("Alice")
    bob = harness.player("Bob")
    assert "has entered the game" in alice.heard()
    assert "You pick up a copper coin (x5)." in await alice.run("get all.coin")
    await alice.run("give 2 coin bob")
    assert "Alice gives you a copper coin (x2)." in bob.heard()
    coins = {p.name: sum(i.quantity for i in p.ch.inventory if i.item_id == "copper_coin")
             for p in (alice, bob)}
    assert coins["Bob"] == 2
    assert sum(coins.values()) == 5


async def test_a_full_inventory_refuses_gets_and_gifts_until_it_grows() -> None:
    harness = Harness()
    full = harness.player("Fullpack")
    for _ in range(20):
        full.carry("rusty_sword")
    giver = harness.player("Giver")
    giver.carry("ember_essence")
    giver.carry("gale_essence")
    assert "(20/20 stacks)" in await full.run("inventory")
    assert "Fullpack can't carry any more." in await giver.run("give ember fullpack")
    await giver.run("drop gale")
    assert "You can't carry any more (20 stacks)." in await full.run("get gale")

    full.ch.inventory_expansion = 1
    assert "Carrying 20/30 stacks" in await full.run("score")
    assert "You pick up a gale essence." in await full.run("get gale")
    assert "You give an ember essence to Fullpack." in await giver.run("give ember fullpack")
    assert "(22/30 stacks)" in await full.run("inventory")


# -- wearing, wielding and examining --------------------------------------------------------


async def test_wrong_kinds_and_worn_things_are_refused_plainly() -> None:
    hero = Harness().player("Hero")
    for item_id, quantity in (("loaf_of_bread", 2), ("rusty_sword", 1), ("leather_jerkin", 1),
                              ("small_pouch", 1)):
        hero.carry(item_id, quantity)
    assert "You can't wear a loaf of bread." in await hero.run("wear bread")
    assert "You can't wield a leather jerkin; try wear." in await hero.run("wield jerkin")
    assert "You can't wear a rusty sword; try wield." in await hero.run("wear sword")
    assert "You can't wield a small pouch." in await hero.run("wield pouch")
    assert "You can't eat a rusty sword." in await hero.run("eat sword")
    assert "You don't have any 'helm'." in await hero.run("wear helm")
    await hero.run("wear jerkin")
    assert "You are already wearing a leather jerkin." in await hero.run("wear jerkin")
    assert "You must remove a leather jerkin first." in await hero.run("drop jerkin")
    assert "You are not wearing any 'helm'." in await hero.run("remove helm")
    assert "You have nothing in your head slot." in await hero.run("remove head")
    assert "You see no 'zzz' here." in await hero.run("examine zzz")
    assert "a leather jerkin" not in await hero.run("inventory")


async def test_examine_shows_stats_and_where_things_are() -> None:
    hero = Harness().player("Hero")
    hero.carry("leather_jerkin", slot=3, metadata={"durability": 37})
    hero.carry("healing_herb", 3)
    jerkin = await hero.run("exa jerkin")
    for line in ("A leather jerkin, armour", "boiled leather", "Armour: 2 (body slot)",
                 "Durability: 37/100", "Where: worn (body)"):
        assert line in jerkin, jerkin
    assert "(broken)" not in jerkin
    herb = await hero.run("examine herb")
    assert "A healing herb (x3), consumable" in herb
    assert "Eat it to restore 25 health" in herb and "Where: in your pack" in herb
    await hero.run("drop 1 herb")
    assert "Where: on the floor here" in await hero.run("examine 2.herb")
    assert "You pick up a healing herb." in await hero.run("get herb")


async def test_examine_an_essence_shows_what_it_favours_and_its_abilities() -> None:
    hero = Harness().player("Hero")
    hero.carry("stone_essence")
    examined = await hero.run("examine stone")
    assert "A stone essence, essence" in examined
    assert "Favours power: +6 bonded to power, +3 to any other attribute." in examined, examined
    lines = [line.strip() for line in examined.splitlines()]
    abilities = lines[lines.index("Abilities (and the rank each awakens at):") + 1:][:5]
    assert [re.split(r"\s{2,}", line)[:2] for line in abilities] == [
        ["Cobble Strike", "normal"], ["Bedrock Stance", "normal"], ["Quarry Breaker", "iron"],
        ["Scree Slide", "bronze"], ["Mountain's Patience", "silver"]], examined
    assert "damage 11, 6 stamina, cooldown 4s" in examined
    assert "power +3 for 25s, 10 stamina, cooldown 12s" in examined
    assert "Where: in your pack" in examined


async def test_score_and_equipment_give_one_attack_figure() -> None:
    # a rusty sword (4) wielded with power 10: (4 + 10 // 5) a blow at normal rank
    hero = Harness().player("Hero")
    hero.carry("rusty_sword", slot=0)
    score = await hero.run("score")
    equipment = await hero.run("equipment")
    phrase = "Attack 6 damage per blow (swordsmanship)   Armour 0"
    assert phrase in score, score
    assert phrase in equipment, equipment
    assert "base damage" not in equipment


# -- containers -----------------------------------------------------------------------------


async def test_look_in_lists_a_containers_contents() -> None:
    hero = Harness().player("Hero")
    hero.carry("small_pouch", metadata={"contents": [
        {"item": "copper_coin", "quantity": 3, "metadata": None}]})
    hero.carry("faded_map")
    assert "A small pouch holds (1/5 stacks):\n  a copper coin (x3)" in await hero.run(
        "look in pouch")
    assert "A faded map is not a container." in await hero.run("look in map")


# -- eating and drinking on a full pool -----------------------------------------------------


async def test_food_and_drink_are_not_wasted_on_a_full_pool() -> None:
    hero = Harness().player("Hero")
    hero.carry("loaf_of_bread", 2)
    hero.carry("healing_draught")
    refused = await hero.run("eat bread")
    assert ("You are not hungry: your stamina is full (100/100). Type 'eat bread anyway' to "
            "eat it regardless.") in refused, refused
    assert "You are not hungry" in await hero.run("use bread")
    assert "a loaf of bread (x2)" in await hero.run("inventory")
    assert ("You are not thirsty: your health is full (100/100). Type 'drink draught anyway' "
            "to drink it regardless.") in await hero.run("drink draught")
    assert "a healing draught" in await hero.run("inventory")

    ate = await hero.run("eat bread anyway")
    assert "You eat a loaf of bread; your stamina is already full (100/100)." in ate, ate
    assert "a loaf of bread (x2)" not in await hero.run("inventory")
    assert "You drink a healing draught" in await hero.run("use draught anyway")
    assert "a healing draught" not in await hero.run("inventory")


# -- collect objectives ---------------------------------------------------------------------


async def test_collect_objectives_count_aloud_as_things_come_and_go() -> None:
    harness = Harness()
    hero = harness.player("Hero", room="greywater_docks")
    hero.carry("small_pouch")
    friend = harness.player("Friend", room="greywater_docks")
    friend.carry("crab_claw", 3)
    accepted = await hero.run("quest accept crabs")
    assert "Bring a mud crab claw: 0/2" in accepted, accepted

    assert "You give a mud crab claw to" in await friend.run("give 1 claw hero")
    given = hero.heard()
    assert "[Crabs in the Nets] a mud crab claw: 1/2" in given, given
    assert "gives you a mud crab claw." in given
    await friend.run("drop 2 claw")
    picked = await hero.run("get 1 claw")
    assert "You pick up a mud crab claw." in picked
    assert "[Crabs in the Nets] a mud crab claw: 2/2" in picked, picked
    assert "[Crabs in the Nets]" not in await hero.run("get claw")  # a third: still 2/2

    put = await hero.run("put 2 claw in pouch")  # one of three left in the pack
    assert "[Crabs in the Nets] a mud crab claw: 1/2" in put, put
    back = await hero.run("get 1 claw from pouch")
    assert "[Crabs in the Nets] a mud crab claw: 2/2" in back, back
    assert "[Crabs in the Nets] a mud crab claw: 1/2" in await hero.run("drop 1 claw")
    assert "Bring a mud crab claw: 1/2" in await hero.run("quests")
    assert "[Crabs in the Nets]" not in await friend.run("get claw")  # not their quest


async def test_a_foraged_herb_counts_for_a_collect_objective() -> None:
    # the first bond is under way; stamina for many tries
    hero = Harness().player("Hero", room="herb_garden", speed=40, stamina=400)
    hero.ch.quests.append(QuestProgress(new_id(), "the_first_bond"))
    for _ in range(80):  # at least a 0.3 chance each
        found = await hero.run("forage")
        if "You find" in found:
            break
    assert "You find a healing herb.\n[The First Bond] a healing herb: 1/2" in found, found
