"""What a command asks of its caller (standing, not fighting, not frozen), declared with the
command and enforced by the one dispatcher before any handler runs: in process for every
command in the registry, and end to end for each refusal a player reads."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mud.commands import REGISTRY, dispatch
from mud.commands.context import Confirmation
from mud.commands.registry import Need
from mud.game.fighting import engage
from mud.game.model import Character
from mud.game.state import Game
from mud.world.loader import World, load_world
from tests.conftest import ServerProcess, cached_copy_dropped, join, query, rejoin

WORLD = Path(__file__).resolve().parent.parent / "world"
MOVEMENT = {"north", "south", "east", "west", "up", "down", "go"}
RESTING = "You are resting. Stand up first."
FIGHTING = "Not in the middle of a fight! Flee first."
FROZEN = "You are frozen solid and cannot do anything until a wizard thaws you."


# -- in process: the dispatcher over a game in memory ----------------------------------------


@dataclass
class Caller:
    """The session the dispatcher talks to: it records what the player is told."""

    character: Character
    role: str = "admin"  # sees every command
    account: None = None
    pending: Confirmation | None = None
    told: list[str] = field(default_factory=list)

    def send(self, text: str) -> None:
        self.told.append(text)


@pytest.fixture(scope="module")
def world() -> World:
    return load_world(WORLD)


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The commands the dispatcher lets through to their handlers (which are not run)."""
    names: list[str] = []

    async def record(session: Any, name: str, *_: Any) -> bool:
        names.append(name)
        return True

    monkeypatch.setattr(dispatch, "_run", record)
    return names


def playing(world: World, room: str = "village_square") -> tuple[Any, Caller]:
    """A server holding a fresh game with one character in room, and its caller."""
    game = Game(world)
    ch = Character(uuid.uuid4(), uuid.uuid4(), "Tester", room_id=room)
    game.place(ch)
    server = SimpleNamespace(game=game, stats=SimpleNamespace(commands=0),
                             audit=SimpleNamespace(record=lambda entry: None))
    return server, Caller(ch)


def lacking(world: World, need: Need) -> tuple[Any, Caller]:
    """A caller who does not meet need: frozen, resting, or fought by a rat in the cellar."""
    server, caller = playing(world, "inn_cellar")
    ch = caller.character
    if need is Need.THAWED:
        ch.frozen = True
    elif need is Need.STANDING:
        ch.resting = True
    else:
        engage(server.game, ch, server.game.rooms["inn_cellar"].mobs[0])
    return server, caller


REFUSALS = {Need.THAWED: FROZEN, Need.STANDING: RESTING, Need.NOT_FIGHTING: FIGHTING}


def test_each_need_has_its_one_refusal_and_commands_declare_todays_rules() -> None:
    assert {need: need.refusal for need in Need} == REFUSALS
    declared = {cmd.name: cmd.needs for cmd in REGISTRY.visible("admin")}
    assert len(declared) == len(REGISTRY.visible("admin")) > 60
    special = {name: needs for name, needs in declared.items() if needs != Need.THAWED}
    assert special == {
        **dict.fromkeys(MOVEMENT, Need.THAWED | Need.STANDING | Need.NOT_FIGHTING),
        "rest": Need.THAWED | Need.NOT_FIGHTING, "sleep": Need.THAWED | Need.NOT_FIGHTING,
        "forage": Need.THAWED | Need.NOT_FIGHTING,
        "quit": Need.NOT_FIGHTING}  # everything else (get, drop, kill, use, bond...) thawed only


@pytest.mark.parametrize("need", list(Need), ids=lambda need: need.name)
async def test_every_command_is_refused_exactly_when_it_declares_the_need(
        world: World, ran: list[str], need: Need) -> None:
    server, caller = lacking(world, need)
    for cmd in REGISTRY.visible("admin"):
        caller.told.clear()
        ran.clear()
        await dispatch.interpret(server, caller, f"{cmd.name} x")  # type: ignore[arg-type]
        if need in cmd.needs:
            assert (caller.told, ran) == ([REFUSALS[need]], []), cmd.name
        else:
            assert (caller.told, ran) == ([], [cmd.name]), cmd.name


async def test_an_exit_typed_alone_asks_what_walking_asks(world: World, ran: list[str]) -> None:
    server, caller = playing(world, "north_gate")
    ch = caller.character
    ch.resting = True
    await dispatch.interpret(server, caller, "gate")  # type: ignore[arg-type]
    ch.resting, ch.frozen = False, True
    await dispatch.interpret(server, caller, "gate")  # type: ignore[arg-type]
    assert caller.told == [RESTING, FROZEN] and ch.room_id == "north_gate" and ran == []


async def test_a_frozen_caller_answers_no_question_but_may_quit(world: World,
                                                               ran: list[str]) -> None:
    server, caller = lacking(world, Need.THAWED)

    async def bond() -> None:
        raise AssertionError("a frozen character's answer ran the question's action")

    caller.pending = Confirmation("bonding", bond, "Bond it?")
    await dispatch.interpret(server, caller, "yes")  # type: ignore[arg-type]
    assert caller.told == [FROZEN, "Bonding cancelled."] and caller.pending is None
    caller.pending, caller.told = Confirmation("bonding", bond, "Bond it?"), []
    await dispatch.interpret(server, caller, "quit")  # type: ignore[arg-type]
    assert caller.told == ["Bonding cancelled."] and ran == ["quit"]


async def test_a_question_is_answered_before_a_need_refuses(world: World,
                                                          ran: list[str]) -> None:
    server, caller = lacking(world, Need.STANDING)

    async def bond() -> None: ...

    caller.pending = Confirmation("bonding", bond, "Bond it?")
    await dispatch.interpret(server, caller, "north")  # type: ignore[arg-type]
    assert caller.told == ["Please answer yes or no. Bond it? (yes/no)"] and ran == []
    await dispatch.interpret(server, caller, "yes")  # type: ignore[arg-type]
    assert ran == ["confirm"] and caller.pending is None


def test_help_names_what_a_command_asks_in_one_line() -> None:
    north, rest, quit_, look = (REGISTRY.exact(w, "player") for w in
                                ("north", "rest", "quit", "look"))
    assert north.help == "Walk north.\n\nNot while resting or in a fight."
    assert rest.help.endswith("three times as fast.\n\nNot in a fight.")
    assert quit_.help.endswith("\n\nNot in a fight.")
    assert "Not " not in look.help
    assert north.summary == "Walk north."


# -- end to end: what the player reads -------------------------------------------------------

DRILL_MONSTER = '''
[[monster]]
id = "drill_dummy"
name = "a drill dummy"
keywords = ["drill", "dummy"]
description = "Sacking stuffed with straw, lashed to a post."
power = 1
speed = 1
health = 100000
damage = 1
respawn = 1
'''

DRILL_ZONE = '''
[zone]
id = "drill"
name = "Drill Ground"
reset = 300
recovery_room = "drill_yard"

[[room]]
id = "drill_yard"
name = "Drill Yard"
description = "Beaten earth round a dummy, weeds along the fence; a gate to the village."
exits = { north = "drill_shed", gate = "village_square" }
monsters = [ { monster = "drill_dummy", count = 1 } ]
items = [ { item = "loaf_of_bread", quantity = 1 } ]
forage = ["healing_herb"]

[[room]]
id = "drill_shed"
name = "Drill Shed"
description = "A shed of practice weapons."
exits = { south = "drill_yard" }
'''


@pytest.fixture(scope="module")
async def drill(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory,
                redis_url: str) -> AsyncIterator[ServerProcess]:
    """A server whose players start in a yard with a dummy that neither dies nor strikes
    during a test (a long tick), a loaf of bread, herbs to forage and an exit called gate."""
    folder = tmp_path_factory.mktemp("drill")
    world = folder / "world"
    shutil.copytree(WORLD, world)
    (world / "world.toml").write_text('start_room = "drill_yard"\n')
    with (world / "monsters.toml").open("a") as fh:
        fh.write(DRILL_MONSTER)
    (world / "zones" / "drill.toml").write_text(DRILL_ZONE)
    server = await ServerProcess(make_database(), folder / "server.log", redis_url=redis_url,
                                 extra_env={"MUD_WORLD_DIR": str(world),
                                            "MUD_TICK_INTERVAL": "600"}).start()
    yield server
    await server.stop()


def reply(text: str) -> str:
    """A command's reply without the prompt after it."""
    return text.rsplit("\n", 1)[0]


async def test_resting_refuses_walking_with_one_message_and_nothing_else(
        drill: ServerProcess) -> None:
    client, _ = await join(drill)
    assert "You sit down and rest." in await client.command("rest")
    for line in ("north", "go north", "gate"):
        assert reply(await client.command(line)) == RESTING, line
    assert "You pick up a loaf of bread." in await client.command("get bread")
    eaten = await client.command("use bread anyway")
    assert "You eat a loaf of bread" in eaten and RESTING not in eaten
    assert "Not while resting or in a fight." in await client.command("help north")
    assert "You stand up." in await client.command("stand")
    assert "Drill Shed" in await client.command("north")
    await client.close()


async def test_a_fight_refuses_walking_resting_foraging_and_quitting_alike(
        drill: ServerProcess) -> None:
    client, _ = await join(drill)
    assert "You attack a drill dummy!" in await client.command("kill dummy")
    for line in ("north", "go north", "gate", "rest", "forage", "quit"):
        assert reply(await client.command(line)) == FIGHTING, line
    assert "Drill Yard" in await client.command("look")  # still here, still playing
    await client.close_now()


async def test_a_frozen_player_is_told_so_and_may_only_quit(drill: ServerProcess) -> None:
    client, name = await join(drill)
    await client.quit()
    await query(drill.database_url, "UPDATE characters SET frozen = true WHERE name = %s",
                name.capitalize())
    await cached_copy_dropped(drill, name)
    client, _ = await rejoin(drill, name)
    for line in ("look", "say hello", "gate", "qu"):
        assert reply(await client.command(line)) == FROZEN, line
    assert "Goodbye" in await client.quit()
