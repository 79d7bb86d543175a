"""The first hour's fighting end to end over telnet (issue 13): a heal teaches only when it
restored something, and what it taught is kept; a reply follows its command with no blank line.
The rules of abilities, cooldowns, keywords and `consider` are tested in memory
(tests/test_cmd_fighting.py), on the same world: the bundled one plus a small trial zone
(a practice dummy that cannot be killed in a test, a bandit camp whose chief is a bandit only by
keyword, and a sturdy, thick-skinned brute)."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from mud.client import TelnetClient
from tests.conftest import ServerProcess, carrying, query, rejoin

WORLD = Path(__file__).resolve().parent.parent / "world"

TRIAL_MONSTERS = '''
[[monster]]
id = "trial_dummy"
name = "a straw dummy"
keywords = ["straw", "dummy"]
description = "Straw bound to a post, for practice. It barely sways when struck."
power = 1
speed = 1
health = 100000
damage = 1
respawn = 1

[[monster]]
id = "trial_chief"
name = "Black Odo"
keywords = ["black", "odo", "bandit", "chief"]
description = "The chief of the trial bandits, scarred and sour."
rank = "iron"
health = 200
damage = 8
respawn = 1

[[monster]]
id = "trial_bandit"
name = "a sly bandit"
keywords = ["sly", "bandit"]
description = "A thin bandit with quick hands and a quicker smile."
health = 40
damage = 4
respawn = 1

[[monster]]
id = "trial_brute"
name = "a hide-bound brute"
keywords = ["hide", "brute"]
description = "A slow giant in layers of boiled hide that turn most blows."
power = 10
speed = 10
health = 160
damage = 14
armour = 4
respawn = 1
'''

TRIAL_ZONE = '''
[zone]
id = "trials"
name = "Trial Grounds"
reset = 300
recovery_room = "trial_yard"

[[room]]
id = "trial_yard"
name = "Trial Yard"
description = "A yard of beaten earth around a practice dummy."
exits = { north = "trial_camp", south = "trial_lane", east = "trial_pen" }
monsters = [ { monster = "trial_dummy", count = 1 } ]

[[room]]
id = "trial_camp"
name = "Trial Camp"
description = "Bedrolls round a dead fire."
exits = { south = "trial_yard" }
monsters = [ { monster = "trial_chief", count = 1 }, { monster = "trial_bandit", count = 1 } ]

[[room]]
id = "trial_lane"
name = "Trial Lane"
description = "A quiet lane behind the yard."
exits = { north = "trial_yard", south = "trial_cell" }

[[room]]
id = "trial_cell"
name = "Trial Cell"
description = "A bare cell at the end of the lane, out of everyone's way."
exits = { north = "trial_lane" }

[[room]]
id = "trial_pen"
name = "Trial Pen"
description = "A pen with a high fence."
exits = { west = "trial_yard" }
monsters = [ { monster = "trial_brute", count = 1 } ]
'''


@pytest.fixture(scope="module")
async def trials(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory,
                 redis_url: str) -> AsyncIterator[ServerProcess]:
    """One server on the trial world for the module: each test makes characters of its own."""
    folder = tmp_path_factory.mktemp("trials")
    world = write_trial_world(folder)
    server = await ServerProcess(make_database(), folder / "server.log", redis_url=redis_url,
                                 extra_env={"MUD_WORLD_DIR": str(world)}).start()
    yield server
    await server.stop()


def write_trial_world(folder: Path) -> Path:
    """The bundled world plus the trial zone, written under folder; returns its path."""
    world = folder / "world"
    shutil.copytree(WORLD, world)
    (world / "world.toml").write_text('start_room = "trial_yard"\nweakness_seconds = 3\n')
    with (world / "monsters.toml").open("a") as fh:
        fh.write(TRIAL_MONSTERS)
    (world / "zones" / "trials.toml").write_text(TRIAL_ZONE)
    return world


async def bonded(server: ServerProcess, *essences: str, to: str = "power"
                 ) -> tuple[TelnetClient, str]:
    """A new character who has bonded the given essences (item ids without `_essence`)."""
    client, name = await carrying(server, *(f"{e}_essence" for e in essences))
    for essence in essences:
        assert "cannot be undone" in await client.command(f"bond {essence} to {to}")
        assert "You bond the" in await client.command("yes")
    return client, name


async def ability_line(client: TelnetClient, ability: str) -> str:
    """The ability's line in `abilities` (read as in_fight, as a fight may go on)."""
    reply = await in_fight(client, "abilities", rf"{ability}[^\n]*\n")
    return reply.splitlines()[-1]


async def in_fight(client: TelnetClient, line: str, pattern: str) -> str:
    """The reply to line during a fight, found by pattern: the fight's blows arrive every tick,
    each with a prompt of its own, so the reply is not always the first text to come."""
    await client.drain()
    client.send(line)
    return await client.read_until(pattern)


async def test_a_heal_teaches_only_when_it_restores_something(trials: ServerProcess) -> None:
    full, _ = await bonded(trials, "tusk", to="recovery")  # health stays full: 100/100
    assert "You use Stubborn Snort, restoring 0 health." in await full.command("use snort")
    assert "progress 0/20" in await ability_line(full, "Stubborn Snort")
    hurt, name = await bonded(trials, "tusk")  # 100 of a new maximum of 160
    reply = await hurt.command("use snort")
    assert re.search(r"You use Stubborn Snort, restoring [1-9]\d* health\.", reply), reply
    assert "progress 1/20" in await ability_line(hurt, "Stubborn Snort")
    await hurt.quit()
    assert await query(trials.database_url,
                       "SELECT a.metadata->'progress' FROM character_abilities a JOIN characters"
                       " c ON c.id = a.character_id WHERE c.name = %s"
                       " AND a.ability_name = 'Stubborn Snort'", name.capitalize()) == [(1,)]
    hurt, _ = await rejoin(trials, name)
    assert "progress 1/20" in await ability_line(hurt, "Stubborn Snort"), "kept"


async def test_a_reply_follows_its_command_without_a_blank_line(trials: ServerProcess
                                                                ) -> None:
    client, _ = await bonded(trials, "ember")
    assert (await client.command("flee")).startswith("You are not fighting anyone.\n")
    assert (await client.command("kill nobody")).startswith("You see no 'nobody' here")
    assert (await client.command("use cinder")).startswith("You are not fighting anything.")
