"""The gameplay loop end to end over telnet: fighting, loot, bonding the loot and finishing a
quest as the database records it, and quest progress and skills that survive a restart. The
bundled world plus a small testing zone (a rat that always drops an ember essence, a quest
giver, a reaper that kills on sight); the rules of fighting, death, respawns, resets and quests
are tested in memory on the same world (tests/test_cmd_fighting.py, tests/test_cmd_quests.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mud.client import TelnetClient
from tests.conftest import ServerProcess, join, rejoin, wait_for_rows

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
    return write_test_world(tmp_path)


def write_test_world(folder: Path) -> Path:
    """The bundled world plus the testing zone and its quests, written under folder; returns
    its path."""
    world = folder / "world"
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


async def test_a_group_of_two_shares_a_kill_its_coins_and_leaves_its_loot(arena: ServerProcess
                                                                           ) -> None:
    """One fights, both are credited with the kill (the other never struck a blow); the killer's
    autocoin shares the coins out, and the essence is left on the floor for the group."""
    fighter, _ = await join(arena)
    friend, friend_name = await join(arena)
    for client in (fighter, friend):
        assert "You accept 'Rat Trouble'." in await client.command("quest accept 1")
    assert "Autocoin is on" in await fighter.command("autocoin")
    await fighter.command(f"group invite {friend_name}")
    assert "You join the group." in await friend.command("group accept")

    fight = await kill_rat(fighter)
    assert "[Rat Trouble] a test rat: 1/1" in fight
    assert "You pick up a copper coin." in fight + await fighter.drain()
    told = await friend.expect(r"You pick up a copper coin\.")
    assert "[Rat Trouble] a test rat: 1/1" in told
    assert "(ready to turn in)" in await friend.command("quests")
    assert "An ember essence lies here." in await friend.command("look")
    assert "a copper coin" in await friend.command("inventory")
