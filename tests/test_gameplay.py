"""The gameplay loop end to end over telnet: fighting, loot, bonding the loot, quests, death and
recovery, zone resets, and what survives a restart. The bundled world plus a small testing zone
(a rat that always drops an ember essence, a quest giver, a reaper that kills on sight)."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from mud.client import TelnetClient
from tests.conftest import ServerProcess, join, query, rejoin, wait_for_rows

WORLD = Path(__file__).resolve().parent.parent / "world"

TEST_MONSTERS = '''
[[monster]]
id = "test_rat"
name = "a test rat"
keywords = ["test", "rat"]
description = "A rat bred for tests: slow, frail and generous."
speed = 1
health = 3
damage = 1
respawn = 1
loot = [ { item = "ember_essence", chance = 1.0 },
         { item = "copper_coin", chance = 1.0, min = 2, max = 2 } ]

[[monster]]
id = "test_reaper"
name = "a test reaper"
keywords = ["reaper"]
description = "Death, for tests."
aggressive = true
power = 500
speed = 500
health = 100000
damage = 500
respawn = 1

[[monster]]
id = "test_clerk"
name = "the test clerk"
keywords = ["clerk"]
description = "A clerk who takes papers."
peaceful = true
health = 10
damage = 1

[[monster]]
id = "test_elder"
name = "the test elder"
keywords = ["elder"]
description = "An elder who needs a rat killed."
peaceful = true
health = 10
damage = 1
'''

TEST_QUEST = '''
[[quest]]
id = "test_rats"
name = "Rat Trouble"
giver = "test_elder"
description = "There is a rat in my arena. Kill it."
completion = "My arena is free of rats, for now. Take this."
[[quest.objective]]
kill = "test_rat"
count = 1
[quest.reward]
items = [ { item = "tide_essence", quantity = 1 } ]
progress = 2

[[quest]]
id = "test_paperwork"
name = "Paperwork"
giver = "test_elder"
description = "Take this map to the clerk, south of here."
completion = "Filed at last."
start_items = [ { item = "faded_map", quantity = 1 } ]
[[quest.objective]]
deliver = "faded_map"
to = "test_clerk"
[[quest.objective]]
visit = "test_recovery"
[quest.reward]
items = [ { item = "copper_coin", quantity = 7 } ]
'''

TEST_ZONE = '''
[zone]
id = "testing"
name = "Testing Grounds"
reset = 1
recovery_room = "test_recovery"

[[room]]
id = "test_arena"
name = "Test Arena"
description = "A sanded floor for trying things out."
exits = { north = "test_pit", south = "test_recovery" }
monsters = [ { monster = "test_rat", count = 1 }, { monster = "test_elder", count = 1 } ]
items = [ { item = "rusty_sword", quantity = 1 } ]

[[room]]
id = "test_pit"
name = "Test Pit"
description = "Nothing comes back up from here alive."
exits = { south = "test_arena" }
monsters = [ { monster = "test_reaper", count = 1 } ]

[[room]]
id = "test_recovery"
name = "Test Recovery"
description = "Cots and bandages."
exits = { north = "test_arena" }
monsters = [ { monster = "test_clerk", count = 1 } ]
'''


@pytest.fixture
def test_world(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    (world / "world.toml").write_text('start_room = "test_arena"\nweakness_seconds = 3\n')
    with (world / "monsters.toml").open("a") as fh:
        fh.write(TEST_MONSTERS)
    with (world / "quests.toml").open("a") as fh:
        fh.write(TEST_QUEST)
    (world / "zones" / "testing.toml").write_text(TEST_ZONE)
    return world


@pytest.fixture
async def arena(server_factory, test_world: Path) -> ServerProcess:
    return await server_factory(extra_env={"MUD_WORLD_DIR": str(test_world),
                                           "MUD_TICK_INTERVAL": "0.2"})


async def kill_rat(client: TelnetClient) -> str:
    """Attack the rat (waiting for it to come back if need be) and return everything up to
    its death, its loot and what followed."""
    if "A test rat is here." not in await client.command("look"):
        await client.read_until("A test rat arrives.", timeout=5)
    assert "You attack a test rat!" in await client.command("kill rat")
    return await client.expect(r"drops [^\n]*\n", timeout=10)


async def test_fight_loot_bond_and_finish_a_quest(arena: ServerProcess) -> None:
    client, name = await join(arena)
    listing = await client.command("quest list")
    assert "1. Rat Trouble (the test elder)" in listing
    accepted = await client.command("quest accept 1")
    assert "You accept 'Rat Trouble'." in accepted and "Kill a test rat: 0/1" in accepted
    assert "would be no match for you" in await client.command("consider rat")

    fight = await kill_rat(client)
    assert "A test rat is dead!" in fight
    assert "[Rat Trouble] a test rat: 1/1" in fight
    assert "A test rat drops an ember essence, a copper coin (x2)." in fight
    assert "You pick up an ember essence." in await client.command("get ember")
    assert "Bond it?" in await client.command("bond ember to power")
    assert "You bond the ember essence to power" in await client.command("yes")

    assert "(ready to turn in)" in await client.command("quests")
    done = await client.command("quest complete")
    assert "You complete 'Rat Trouble'!" in done
    assert "My arena is free of rats" in done and "Reward: a tide essence" in done
    assert "a tide essence" in await client.command("inventory")
    assert "Rat Trouble" not in await client.command("quest list")  # not offered again
    await wait_for_rows(  # fails unless the database shows the quest completed
        arena.database_url, "SELECT q.status, q.completed_at IS NOT NULL FROM character_quests q"
        " JOIN characters c ON c.id = q.character_id WHERE c.name = %s", name.capitalize(),
        expect=lambda r: r == [("completed", True)])
    # the reward's progress (2) reached the awakened abilities
    assert "progress 2/20" in await client.command("abilities")


async def test_abilities_in_combat_earn_progress_on_the_kill(arena: ServerProcess) -> None:
    client, name = await join(arena)
    await client.quit()
    await query(arena.database_url,
                "INSERT INTO character_inventory (character_id, item_id) SELECT id,"
                " 'ember_essence' FROM characters WHERE name = %s", name.capitalize())
    client, _ = await rejoin(arena, name)
    await client.command("bond ember to power")
    await client.command("yes")
    reply = await client.command("use cinder rat")
    assert "Your Cinder Flick hits a test rat for" in reply
    assert "A test rat is dead!" in reply  # 12 damage or more on 3 health
    listing = await client.command("abilities")
    line = next(x for x in listing.splitlines() if "Cinder Flick" in x)
    assert "progress 2/20" in line  # 1 for the use, 1 for the kill of a normal monster


async def test_death_sends_you_to_recovery_weak_and_keeps_everything(arena: ServerProcess
                                                                     ) -> None:
    client, name = await join(arena)
    await kill_rat(client)
    await client.command("get ember")
    await client.command("bond ember to power")
    await client.command("yes")
    client.send("north")
    text = await client.read_until("You wake in the Test Recovery", timeout=10)
    assert "A test reaper attacks you!" in text
    assert "strikes you down" in text
    score = await client.command("score")
    health = int(re.search(r"Health (\d+)/160", score)[1])
    assert 40 <= health < 60  # a quarter of the maximum, and a tick or two of regeneration
    assert "weak for" in score
    assert "Essences 1/4: ember (power)" in score
    assert "an ember essence" not in await client.command("inventory")  # it was bonded
    await wait_for_rows(arena.database_url,
                        "SELECT current_room_id, health < 80, weak_until > now()"
                        " FROM characters WHERE name = %s", name.capitalize(),
                        expect=lambda rows: rows == [("test_recovery", True, True)])
    await asyncio.sleep(3)  # the weakness passes
    assert "weak for" not in await client.command("score")


async def test_flee_and_fighting_rules(arena: ServerProcess) -> None:
    client, _ = await join(arena)
    assert "not someone to fight" in await client.command("kill elder")
    assert "You are not fighting anyone." in await client.command("flee")
    assert "You see no 'dragon' here to fight." in await client.command("kill dragon")


async def test_monsters_respawn_and_zones_reset_without_duplicating(arena: ServerProcess
                                                                    ) -> None:
    client, name = await join(arena)
    assert "You pick up a rusty sword." in await client.command("get sword")
    await kill_rat(client)
    assert "A test rat arrives." in await client.read_until(r"arrives\.", timeout=5)
    async with asyncio.timeout(10):  # a zone reset puts the sword back
        while "A rusty sword lies here." not in await client.command("look"):
            await asyncio.sleep(0.1)
    await asyncio.sleep(1.5)  # and further resets do not add more
    look = await client.command("look")
    assert look.count("A rusty sword lies here.") == 1  # put back once, not again and again
    assert "a rusty sword" in await client.command("inventory")
    rows = await wait_for_rows(
        arena.database_url, "SELECT count(*) FROM character_inventory i JOIN characters c"
        " ON c.id = i.character_id WHERE c.name = %s AND i.item_id = 'rusty_sword'",
        name.capitalize(), expect=lambda r: r == [(1,)])
    assert rows == [(1,)]


async def test_quest_progress_and_skills_survive_a_restart(server_factory,
                                                           test_world: Path) -> None:
    env = {"MUD_WORLD_DIR": str(test_world), "MUD_TICK_INTERVAL": "0.2"}
    server = await server_factory(extra_env=env)
    client, name = await join(server)
    await client.command("quest accept 1")
    for _ in range(4):  # a few fights, for the brawling skill
        await kill_rat(client)
    skills_before = await client.command("skills")
    assert "Brawling       level" in skills_before
    assert await server.stop() == 0
    again = await server_factory(server.database_url, extra_env=env)
    client, _ = await rejoin(again, name)
    assert "(ready to turn in)" in await client.command("quests")
    assert await client.command("skills") == skills_before


async def test_use_eats_a_consumable_and_gifts_only_go_to_npcs_who_want_them(
        arena: ServerProcess) -> None:
    client, name = await join(arena)
    await client.quit()
    await query(arena.database_url,
                "UPDATE characters SET stamina = 50 WHERE name = %s", name.capitalize())
    await query(arena.database_url,
                "INSERT INTO character_inventory (character_id, item_id, quantity) SELECT id,"
                " 'loaf_of_bread', 2 FROM characters WHERE name = %s", name.capitalize())
    client, _ = await rejoin(arena, name)
    assert "You eat a loaf of bread" in await client.command("use bread")
    assert "a loaf of bread" in await client.command("inventory")  # one of two is left
    assert re.search(r"Stamina (\d+)/100", await client.command("score"))[1] != "50"
    assert "The test elder does not want a loaf of bread." in await client.command(
        "give bread elder")
    assert "a loaf of bread" in await client.command("inventory")


async def test_a_delivery_quest(arena: ServerProcess) -> None:
    client, _ = await join(arena)
    assert "2. Paperwork (the test elder)" in await client.command("quest list")
    accepted = await client.command("quest accept paperwork")
    assert "The test elder gives you a faded map." in accepted
    assert "Give a faded map to the test clerk: 0/1" in accepted
    assert "You have nothing to turn in here." in await client.command("quest complete")
    assert "[Paperwork] You have arrived in the Test Recovery." in await client.command("south")
    delivered = await client.command("give map clerk")
    assert "You give a faded map to the test clerk." in delivered
    assert "[Paperwork] Give a faded map to the test clerk: 1/1" in delivered
    assert "a faded map" not in await client.command("inventory")
    await client.command("north")
    done = await client.command("quest complete")
    assert "You complete 'Paperwork'!" in done and "Filed at last." in done
    assert "a copper coin (x7)" in await client.command("inventory")
