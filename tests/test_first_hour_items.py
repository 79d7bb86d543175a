"""A newcomer's first hour with items, essences and quests (issue 13), over real telnet against
a real server: the bond's question and report, examining an essence, collect objectives that
count aloud, food that is not wasted on a full pool, and one attack figure."""

from __future__ import annotations

import re

from mud.client import TelnetClient
from tests.conftest import ServerProcess, join, query, rejoin
from tests.test_wizard import with_role

ESSENCES_SQL = ("SELECT e.essence_type FROM character_essences e JOIN characters c"
                " ON c.id = e.character_id WHERE c.name = %s ORDER BY e.id")


async def arrive(server: ServerProcess, *items: str | tuple[str, int, int | None],
                 room: str | None = None) -> tuple[TelnetClient, str]:
    """A new character who logs in (in room, if given) carrying items: an item id, or
    (item id, quantity, slot) for a stack or a worn piece."""
    client, name = await join(server)
    await client.quit()
    name = name.capitalize()
    for entry in items:
        item_id, quantity, slot = (entry, 1, None) if isinstance(entry, str) else entry
        await query(server.database_url,
                    "INSERT INTO character_inventory (character_id, item_id, quantity, slot)"
                    " SELECT id, %s, %s, %s FROM characters WHERE name = %s",
                    item_id, quantity, slot, name)
    if room is not None:
        await query(server.database_url,
                    "UPDATE characters SET current_room_id = %s WHERE name = %s", room, name)
    client, _ = await rejoin(server, name)
    return client, name


async def with_two_bonded(server: ServerProcess, third: str) -> tuple[TelnetClient, str]:
    """A character who has bonded stone (power) and tide (speed) and carries third."""
    client, name = await arrive(server, "stone_essence", "tide_essence", third)
    for what, attribute in (("stone", "power"), ("tide", "speed")):
        await client.command(f"bond {what} to {attribute}")
        assert "You bond" in await client.command("yes")
    return client, name


# -- bonding --------------------------------------------------------------------------------


async def test_the_third_bond_reports_each_gain_after_its_own_bonus(server) -> None:
    client, name = await with_two_bonded(server, "hearth_essence")
    # stone, tide and hearth make bastion, which favours recovery, as hearth does
    await client.command("bond hearth to recovery")
    reply = await client.command("yes")
    assert "Recovery +6 (now 16)." in reply, reply  # after the first bonus alone
    assert "Recovery +6 (now 22)." in reply, reply  # after both
    assert reply.index("(now 16)") < reply.index("(now 22)")
    assert [row[0] for row in await query(server.database_url, ESSENCES_SQL, name)] == [
        "stone", "tide", "hearth", "bastion"]


async def test_the_third_bond_question_names_the_confluence(server) -> None:
    client, _ = await with_two_bonded(server, "hearth_essence")
    question = await client.command("bond hearth to recovery")
    assert "Recovery will rise by 6." in question
    assert ("As your third essence it will also form the bastion confluence essence, "
            "bound to recovery (+6).") in question, question
    assert "Bonding cancelled." in await client.command("no")


async def test_a_bond_question_asks_again_until_yes_or_no(server) -> None:
    client, name = await arrive(server, "gale_essence")
    assert "cannot be undone" in await client.command("bond gale to speed")
    for typo in ("maybe", "yse", "look"):
        again = await client.command(typo)
        assert "Please answer yes or no. Bond a gale essence to speed? (yes/no)" in again, again
        assert "cancelled" not in again and "Village Square" not in again
        assert "Unknown command" not in again
    assert "You bond the gale essence to speed" in await client.command("yes")
    assert [row[0] for row in await query(server.database_url, ESSENCES_SQL, name)] == ["gale"]


async def test_no_cancels_a_bond_and_the_next_line_is_a_command_again(server) -> None:
    client, name = await arrive(server, "gale_essence")
    await client.command("bond gale to speed")
    assert "Bonding cancelled." in await client.command("n")
    assert "Village Square" in await client.command("look")
    assert "a gale essence" in await client.command("inventory")
    assert await query(server.database_url, ESSENCES_SQL, name) == []


async def test_quit_leaves_in_the_middle_of_a_bond_question(server) -> None:
    client, name = await arrive(server, "gale_essence")
    await client.command("bond gale to speed")
    left = await client.quit()
    assert "Bonding cancelled." in left and "Goodbye" in left, left
    client, _ = await rejoin(server, name)
    assert "Unknown command 'yes'" in await client.command("yes")
    assert await query(server.database_url, ESSENCES_SQL, name) == []


async def test_freezing_cancels_a_pending_bond(server) -> None:
    wizard, _ = await with_role(server, "wizard")
    client, name = await arrive(server, "gale_essence")
    await client.command("bond gale to speed")
    await wizard.command(f"freeze {name}")
    await client.read_until("cannot move.")
    refused = await client.command("yes")
    assert "frozen solid" in refused and "Bonding cancelled." in refused, refused
    await wizard.command(f"thaw {name}")
    assert "Unknown command 'yes'" in await client.command("yes")
    assert await query(server.database_url, ESSENCES_SQL, name) == []
    assert "a gale essence" in await client.command("inventory")


# -- examining an essence -------------------------------------------------------------------


async def test_examine_an_essence_shows_what_it_favours_and_its_abilities(server) -> None:
    client, _ = await arrive(server, "stone_essence")
    examined = await client.command("examine stone")
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


# -- collect objectives ---------------------------------------------------------------------


async def test_collect_objectives_count_aloud_as_things_come_and_go(server) -> None:
    hero, hero_name = await arrive(server, "small_pouch", room="greywater_docks")
    friend, _ = await arrive(server, ("crab_claw", 3, None), room="greywater_docks")
    accepted = await hero.command("quest accept crabs")
    assert "Bring a mud crab claw: 0/2" in accepted, accepted

    assert "You give a mud crab claw to" in await friend.command(f"give 1 claw {hero_name}")
    given = await hero.expect(r"\[Crabs in the Nets\] a mud crab claw: 1/2")
    assert "gives you a mud crab claw." in given
    await friend.command("drop 2 claw")
    picked = await hero.command("get 1 claw")
    assert "You pick up a mud crab claw." in picked
    assert "[Crabs in the Nets] a mud crab claw: 2/2" in picked, picked
    assert "[Crabs in the Nets]" not in await hero.command("get claw")  # a third: still 2/2

    put = await hero.command("put 2 claw in pouch")  # one of three left in the pack
    assert "[Crabs in the Nets] a mud crab claw: 1/2" in put, put
    back = await hero.command("get 1 claw from pouch")
    assert "[Crabs in the Nets] a mud crab claw: 2/2" in back, back
    assert "[Crabs in the Nets] a mud crab claw: 1/2" in await hero.command("drop 1 claw")
    assert "Bring a mud crab claw: 1/2" in await hero.command("quests")
    assert "[Crabs in the Nets]" not in await friend.command("get claw")  # not their quest


async def test_a_foraged_herb_counts_for_a_collect_objective(server) -> None:
    client, name = await arrive(server, room="herb_garden")
    await client.quit()
    await query(server.database_url,  # the first bond is under way; stamina for many tries
                "UPDATE characters SET speed = 40, stamina = 400 WHERE name = %s", name)
    await query(server.database_url,
                "INSERT INTO character_quests (character_id, quest_id) SELECT id,"
                " 'the_first_bond' FROM characters WHERE name = %s", name)
    client, _ = await rejoin(server, name)
    for _ in range(80):  # at least a 0.3 chance each
        found = await client.command("forage")
        if "You find" in found:
            break
    assert "You find a healing herb.\n[The First Bond] a healing herb: 1/2" in found, found


# -- eating and drinking on a full pool -----------------------------------------------------


async def test_food_and_drink_are_not_wasted_on_a_full_pool(server) -> None:
    client, _ = await arrive(server, ("loaf_of_bread", 2, None), "healing_draught")
    refused = await client.command("eat bread")
    assert ("You are not hungry: your stamina is full (100/100). Type 'eat bread anyway' to "
            "eat it regardless.") in refused, refused
    assert "You are not hungry" in await client.command("use bread")
    assert "a loaf of bread (x2)" in await client.command("inventory")
    assert ("You are not thirsty: your health is full (100/100). Type 'drink draught anyway' "
            "to drink it regardless.") in await client.command("drink draught")
    assert "a healing draught" in await client.command("inventory")

    ate = await client.command("eat bread anyway")
    assert "You eat a loaf of bread; your stamina is already full (100/100)." in ate, ate
    assert "a loaf of bread (x2)" not in await client.command("inventory")
    assert "You drink a healing draught" in await client.command("use draught anyway")
    assert "a healing draught" not in await client.command("inventory")


# -- one attack figure ----------------------------------------------------------------------


async def test_score_and_equipment_give_one_attack_figure(server) -> None:
    # a rusty sword (4) wielded with power 10: (4 + 10 // 5) a blow at normal rank
    client, _ = await arrive(server, ("rusty_sword", 1, 0))
    score = await client.command("score")
    equipment = await client.command("equipment")
    phrase = "Attack 6 damage per blow (swordsmanship)   Armour 0"
    assert phrase in score, score
    assert phrase in equipment, equipment
    assert "base damage" not in equipment
