"""The hot reboot end to end, over real telnet, each test with a server of its own: players who
walk, trade, bond and fight stay connected while the world process is replaced (by a wizard's
`reboot`, the console's `reboot`, or SIGHUP to the gateway); what they type meanwhile runs
afterwards, in order; characters, floor items and monsters come back as they were; MCCP2 and
GMCP carry on; and a world that will not start keeps everyone waiting until it is fixed.

Each test prints the gap it saw (from the trigger to the new world's first answer: run with
-s). The snapshot itself is tested in memory in tests/test_snapshot.py."""

from __future__ import annotations

import ast
import asyncio
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mud.client import EOR, GMCP, IAC, MCCP2, SB, SE, Options, TelnetClient
from mud.world.loader import load_world
from tests.conftest import (
    PASSWORD,
    ServerProcess,
    carrying,
    join,
    new_name,
    query,
    wait_for_rows,
)
from tests.test_wizard import with_role

WORLD_DIR = Path(__file__).resolve().parent.parent / "world"
ROOMS = sorted(load_world(WORLD_DIR).rooms)
# No game tick during the test (the first comes an hour after each world starts): no combat
# round, regeneration, respawn or zone reset changes a monster or a pool behind the test's
# back, so what the old world showed must be exactly what the new one shows.
# The wizard looks at every room twice (`stat`), past the input rate's burst: no limit.
STILL_WORLD = {"MUD_TICK_INTERVAL": "3600", "MUD_INPUT_RATE": "0"}
# (\s: a client that told its width gets it wrapped)
REBOOTING = (r"The world is rebooting(?: \([^)]*\))?\.\s+You\s+stay\s+connected;\s+what\s+you"
             r"\s+type\s+meanwhile\s+runs\s+once\s+it\s+is\s+back\.")
BACK = "The world is back. Go on where you were."
GAP_LIMIT = 15.0  # seconds from the trigger to the first answer from the new world
WAIT = 30.0  # seconds any one step may take on a slow machine
SAID_ONE, SAID_TWO = "You say, 'one'", "You say, 'two'"
INVENTORY = (r"You are carrying(?: nothing\. \(0/\d+\)|:\n(?:  .*\n)*\(\d+/\d+ stacks\))")
START_MCCP2 = bytes([IAC, SB, MCCP2, IAC, SE])


# -- helpers ----------------------------------------------------------------------------------


async def mud_console(server: ServerProcess, command: str) -> tuple[int, str]:
    """`python -m mud console -c command` against server: its exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "console", "--console-socket", str(server.console_socket),
        "-c", command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), WAIT)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def wait_for_log(server: ServerProcess, pattern: str, count: int = 1) -> None:
    """Wait until the server's log (the gateway's, with its world's lines) holds count lines
    matching pattern."""
    regex = re.compile(pattern, re.M)
    async with asyncio.timeout(WAIT):
        while len(regex.findall(server.log_text())) < count:
            await asyncio.sleep(0.05)


def log_count(server: ServerProcess, pattern: str) -> int:
    return len(re.findall(pattern, server.log_text(), re.M))


WORLD_REBOOT_REQUESTED = r"mud\.app process=\S+ event=reboot_requested"
DISCONNECTED = r"mud\.session process=\S+ event=disconnect "


def stat_field(text: str, name: str) -> str:
    """One field of a wizard's `stat` listing."""
    found = re.search(rf"^  {name} +(.*)$", text, re.M)
    assert found, f"no {name!r} in {text!r}"
    return found[1]


@dataclass
class WorldView:
    """What a wizard's `stat <room>` shows of every room: floor items and monsters."""

    floors: dict[str, list[tuple[str, int, str]]]
    monsters: dict[str, list[str]]  # room: sorted "cellar_rat 4hp" (each spawn's own number cut)

    def items(self) -> Counter[str]:
        counted: Counter[str] = Counter()
        for floor in self.floors.values():
            for item_id, quantity, _ in floor:
                counted[item_id] += quantity
        return counted


async def world_view(wizard: TelnetClient) -> WorldView:
    floors, monsters = {}, {}
    for room in ROOMS:
        text = await wizard.command(f"stat {room}")
        floors[room] = [(f["item_id"], f["quantity"], repr(f["metadata"]))
                        for f in ast.literal_eval(stat_field(text, "floor"))]
        monsters[room] = sorted(re.sub(r" #\d+", "", mob)
                                for mob in ast.literal_eval(stat_field(text, "monsters")))
    return WorldView(floors, monsters)


async def carried(wizard: TelnetClient, name: str) -> Counter[str]:
    """What a character carries, as a wizard's `stat <character>` shows it."""
    listing = stat_field(await wizard.command(f"stat {name}"), "inventory")
    counted: Counter[str] = Counter()
    if listing != "-":
        for entry in listing.split("; "):
            found = re.match(r"(\w+) x(\d+) ", entry)
            assert found, listing
            counted[found[1]] += int(found[2])
    return counted


async def essences_in_db(server: ServerProcess, name: str) -> list[tuple]:
    return await query(server.database_url,
                       "SELECT e.essence_type, e.attribute_bound, e.rank_bonded,"
                       " (SELECT count(*) FROM character_abilities a WHERE a.essence_id = e.id)"
                       " FROM character_essences e JOIN characters c ON c.id = e.character_id"
                       " WHERE c.name = %s ORDER BY e.essence_type", name)


def counted(rows: list[tuple]) -> Counter[str]:
    """(item, quantity) rows added up by item."""
    total: Counter[str] = Counter()
    for item_id, quantity in rows:
        total[item_id] += quantity
    return total


@dataclass
class Player:
    client: TelnetClient
    name: str  # as the game writes it
    gap: list[tuple[str, str]] = field(default_factory=list)  # (line, pattern of its answer)
    seen_back: float = 0.0  # when "The world is back." arrived (time.monotonic)
    first_answer: float = 0.0  # when the answer to its first waiting line arrived
    told: str = ""  # what arrived after the trigger and was read before waiting for the world
    before_back: str = ""  # what arrived between the trigger and "The world is back."
    answers: str = ""  # from "The world is back." to the answer of its last line

    def type_gap(self) -> None:
        """Type every waiting line at once, without waiting for any answer."""
        for line, _ in self.gap:
            self.client.send(line)

    async def read_back_and_answers(self) -> None:
        """Read "The world is back." and then each waiting line's answer, in order."""
        client = self.client
        waiting_for = BACK
        try:
            self.before_back = self.told + await client.read_until(re.escape(BACK), WAIT)
            self.seen_back = time.monotonic()
            for index, (_, pattern) in enumerate(self.gap):
                waiting_for = pattern
                self.answers += await client.read_until(pattern, WAIT)
                if index == 0:
                    self.first_answer = time.monotonic()
            waiting_for = "the prompt"
            self.answers += await client.read_prompt(WAIT)
        except TimeoutError:
            raise AssertionError(
                f"{self.name} waited {WAIT} s for {waiting_for!r}; before the world was back: "
                f"{self.before_back!r}; answers: {self.answers!r}; unread: {client.text!r}"
            ) from None


def talk(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    """The lines a player types while the world is away: say one, the extra ones, say two,
    inventory."""
    return [("say one", SAID_ONE), *extra, ("say two", SAID_TWO), ("inventory", INVENTORY)]


def assert_told_and_answered(players: list[Player]) -> None:
    for player in players:
        # told once that the world is rebooting, then once that it is back
        assert len(re.findall(REBOOTING, player.before_back)) == 1, player.before_back
        assert BACK not in player.answers
        assert "You say" not in player.before_back, "a waiting line ran before the world was back"
        # each waiting line answered once, in the order typed (read_back_and_answers read them
        # in turn; nothing was answered twice)
        assert player.answers.count(SAID_ONE) == 1 and player.answers.count(SAID_TWO) == 1, \
            player.answers


def report_gap(what: str, started: float, players: list[Player]) -> float:
    first = min(p.first_answer for p in players) - started
    back = min(p.seen_back for p in players) - started
    last = max(p.first_answer for p in players) - started
    print(f"\n{what}: first answer from the new world {first:.2f} s after the trigger "
          f"(\"The world is back.\" {back:.2f} s; last player answered {last:.2f} s)")
    return first


def still_connected(server: ServerProcess, *clients: TelnetClient) -> None:
    assert server.proc is not None and server.proc.returncode is None
    for client in clients:
        assert not client._reader.at_eof(), "a connection was closed"


# -- 1. players playing through a reboot ------------------------------------------------------


async def trigger_reboot(how: str, server: ServerProcess, admin: Player) -> float:
    """Start a reboot the way named; once this returns the old world takes no more input.
    Returns when the trigger was pulled (time.monotonic)."""
    requested = log_count(server, WORLD_REBOOT_REQUESTED)
    started = time.monotonic()
    if how == "wizard":
        # the wizard types the reboot and the waiting lines in one go: the old world has them
        # before it stops, and must hand them back rather than drop or run them
        admin.client.send("reboot testing")
        admin.type_gap()
        # the rebooting line may come before this answer: kept for the checks on it
        admin.told = await admin.client.read_until(
            r"Rebooting the world: everyone stays connected\. Reason: testing", WAIT)
    elif how == "console":
        code, out = await mud_console(server, "reboot")
        assert code == 0 and "Rebooting the world: everyone stays connected." in out, out
    else:
        assert how == "sighup"
        server.proc.send_signal(signal.SIGHUP)  # the gateway's pid, not its process group
    await wait_for_log(server, WORLD_REBOOT_REQUESTED, requested + 1)
    return started


@pytest.mark.parametrize("how", ["wizard", "console", "sighup"])
async def test_players_play_on_through_a_reboot(server_factory, how: str) -> None:
    server = await server_factory(extra_env=STILL_WORLD)
    admin_client, admin_name = await with_role(server, "admin")
    admin = Player(admin_client, admin_name, talk())
    walker = Player(*await join(server))
    seller = Player(*await carrying(server, "iron_mace", "bone_charm", "heron_amulet"))
    buyer = Player(*await carrying(server, "wolfhide_boots"))
    bonder = Player(*await join(server))
    fighter = Player(*await carrying(server, "ember_essence"))
    players = [admin, walker, seller, buyer, bonder, fighter]
    names = [p.name for p in players]

    # walking: back and forth, then the square's rusty sword goes to Market Street's floor
    for _ in range(3):
        assert "Market Street" in await walker.client.command("north")
        assert "Village Square" in await walker.client.command("south")
    assert "You pick up a rusty sword." in await walker.client.command("get sword")
    await walker.client.command("north")
    assert "You drop a rusty sword." in await walker.client.command("drop sword")
    await walker.client.command("south")
    # trading
    assert f"You give an iron-flanged mace to {buyer.name}." in await seller.client.command(
        f"give mace {buyer.name}")
    given = await buyer.client.command(f"give boots {seller.name}")
    assert "You give" in given and f"to {seller.name}." in given, given
    # bonding the shrine's ember essence; its tide essence stays carried
    await bonder.client.command("west")
    assert "Shrine of Bonding" in await bonder.client.command("west")
    taken = await bonder.client.command("get all")
    assert "ember essence" in taken and "tide essence" in taken, taken
    assert "cannot be undone" in await bonder.client.command("bond ember to power")
    assert "You bond the ember essence to power" in await bonder.client.command("yes")
    # fighting in the inn's cellar: one rat killed, another hurt and still fought at the reboot
    await fighter.client.command("bond ember to power")
    assert "You bond the ember essence to power" in await fighter.client.command("yes")
    for way in ("north", "west"):
        await fighter.client.command(way)
    assert "Three cellar rats are here." in await fighter.client.command("down")
    assert "Your Cinder Flick hits a cellar rat for 12!" in await fighter.client.command(
        "use cinder rat")
    assert "A cellar rat is dead!" in await fighter.client.command("use smoulder 2.rat")
    fight = await fighter.client.command("look")
    assert "A cellar rat is here, fighting you." in fight and "A cellar rat is here." in fight
    hurt = [(await fighter.client.command(f"look {n}.rat")).splitlines()[-2] for n in (1, 2)]
    assert sorted(hurt) == ["A cellar rat is badly hurt.", "A cellar rat is in perfect health."]

    walker.gap = [("north", r"Market Street\n"), *talk()]
    for player in (seller, buyer, bonder, fighter):
        player.gap = talk()

    # what the old world holds, as the players and a wizard see it, and the database
    seen = {p.name: (await p.client.command("score"), await p.client.command("inventory"))
            for p in players}
    view = await world_view(admin.client)
    assert view.floors["bonding_shrine"] == [], "the shrine's essences were taken"
    assert view.floors["market_street"] == [("rusty_sword", 1, "None")]
    assert view.monsters["inn_cellar"] == ["cellar_rat 16hp", "cellar_rat 4hp"]
    inventories = {p.name: await carried(admin.client, p.name) for p in players}
    assert inventories[buyer.name]["iron_mace"] == 1
    items = view.items() + sum(inventories.values(), Counter())
    essences = {p.name: await essences_in_db(server, p.name) for p in (bonder, fighter)}
    assert all(rows == [("ember", "power", "normal", 5)] for rows in essences.values()), essences
    old_world = server.world_pids()
    assert len(old_world) == 1
    disconnects = log_count(server, DISCONNECTED)

    started = await trigger_reboot(how, server, admin)
    for player in players:
        if not (how == "wizard" and player is admin):  # the wizard typed his already
            player.type_gap()
    await asyncio.gather(*(p.read_back_and_answers() for p in players))
    gap = report_gap(f"reboot by {how}", started, players)
    assert gap < GAP_LIMIT

    # everyone is still connected, told, and had each waiting line answered in order
    still_connected(server, *(p.client for p in players))
    assert log_count(server, DISCONNECTED) == disconnects
    assert_told_and_answered(players)
    new_world = server.world_pids()
    assert len(new_world) == 1 and new_world != old_world

    # the world as it was: floor items, the dead rat still dead, the hurt one as hurt, the fight
    # over, and what everyone carries
    after = await world_view(admin.client)
    assert after.floors == view.floors
    assert after.monsters == view.monsters
    fight = await fighter.client.command("look")
    assert "Two cellar rats are here." in fight and "fighting" not in fight, fight
    hurt_after = [(await fighter.client.command(f"look {n}.rat")).splitlines()[-2]
                  for n in (1, 2)]
    assert sorted(hurt_after) == sorted(hurt)
    assert "Market Street" in await walker.client.command("look")
    assert {p.name: await carried(admin.client, p.name) for p in players} == inventories
    for player in players:
        score, inventory = seen[player.name]
        again = await player.client.command("score")
        assert again.splitlines()[1:] == score.splitlines()[1:], player.name  # [0]: fighting
        # the same things (a reload lists them by row id, not in the order they were received)
        assert sorted((await player.client.command("inventory")).splitlines()) \
            == sorted(inventory.splitlines()), player.name
    # trading goes on, and every item exists once, with a player or on a floor
    assert f"You give a bone charm to {buyer.name}." in await seller.client.command(
        f"give charm {buyer.name}")
    now_carried = {p.name: await carried(admin.client, p.name) for p in players}
    assert now_carried == {**inventories,
                           seller.name: inventories[seller.name] - Counter(bone_charm=1),
                           buyer.name: inventories[buyer.name] + Counter(bone_charm=1)}
    assert after.items() + sum(now_carried.values(), Counter()) == items
    for unique in ("iron_mace", "bone_charm", "heron_amulet", "wolfhide_boots", "rusty_sword",
                   "tide_essence"):
        assert items[unique] == 1, unique

    # and the database holds it
    for player in players:
        want = now_carried[player.name]
        await wait_for_rows(server.database_url,
                            "SELECT i.item_id, i.quantity FROM character_inventory i JOIN"
                            " characters c ON c.id = i.character_id WHERE c.name = %s",
                            player.name, timeout=10,
                            expect=lambda rows, want=want: counted(rows) == want)
    for name, rows in essences.items():
        assert await essences_in_db(server, name) == rows
    rooms = {admin.name: "village_square", walker.name: "market_street",
             seller.name: "village_square", buyer.name: "village_square",
             bonder.name: "bonding_shrine", fighter.name: "inn_cellar"}
    await wait_for_rows(server.database_url,
                        "SELECT name, current_room_id FROM characters WHERE name = ANY(%s)",
                        names, timeout=10, expect=lambda rows: dict(rows) == rooms)


# -- 2. MCCP2 and GMCP ------------------------------------------------------------------------


async def mud_client(server: ServerProcess, options: Options) -> tuple[TelnetClient, str]:
    """A MUD client (GMCP: Char and Room) with a new character, standing in the game."""
    client = await TelnetClient.connect("127.0.0.1", server.port, options=options)
    client.keep_raw = True
    await client.wait_for(lambda: "Username: " in client.text)
    client.send_gmcp("Core.Hello", {"client": "Mudlet", "version": "4.17.2"})
    client.send_gmcp("Core.Supports.Set", ["Char 1", "Room 1"])
    name = new_name()
    await client.create(name, PASSWORD, f"{name}@example.com")
    return client, name


async def test_the_world_is_back_on_a_line_of_its_own_after_the_rebooting_wizards_prompt(
        server_factory) -> None:
    server = await server_factory(extra_env=STILL_WORLD)
    wizard, _ = await with_role(server, "wizard")
    await wizard.drain()
    wizard.send("reboot testing")
    # the old world's answer, then its prompt, which the client shows while the world is away
    told = await wizard.read_until(r"Reason: testing\n[^\n]*st> ", WAIT)
    told += await wizard.read_until(re.escape(BACK), WAIT)
    assert "\n" + BACK in told and "st> " + BACK not in told, told


async def test_mccp2_and_gmcp_carry_on_across_a_reboot(server_factory) -> None:
    server = await server_factory()
    # Mudlet-like: MCCP2 and GMCP
    packed, packed_name = await mud_client(server, Options.mud_client())
    # GMCP without compression; it picks up the shrine's ember essence to bond after the reboot
    plain, plain_name = await mud_client(server, Options.mud_client(do=frozenset({EOR, GMCP})))
    assert packed.compressed and not plain.compressed
    for client in (packed, plain):
        await client.wait_for(lambda c=client: c.gmcp_of("Char.Vitals") and c.gmcp_of("Room.Info"))
    assert packed.raw.count(START_MCCP2) == 1
    inflater = packed._inflater
    await plain.command("west")
    assert "Shrine of Bonding" in await plain.command("west")
    assert "You pick up an ember essence." in await plain.command("get ember")
    vitals = {c: len(c.gmcp_of("Char.Vitals")) for c in (packed, plain)}
    rooms = {c: len(c.gmcp_of("Room.Info")) for c in (packed, plain)}
    wire, unpacked = packed.wire_bytes, packed.plain_bytes
    players = [Player(packed, packed_name.capitalize(), talk()),
               Player(plain, plain_name.capitalize(), talk())]

    started = time.monotonic()
    code, out = await mud_console(server, "reboot")
    assert code == 0, out
    for player in players:
        player.type_gap()
    await asyncio.gather(*(p.read_back_and_answers() for p in players))
    assert report_gap("reboot with MCCP2 and GMCP clients", started, players) < GAP_LIMIT
    assert_told_and_answered(players)
    still_connected(server, packed, plain)

    # the compressed stream went on: the same zlib stream, inflated without a fault, never
    # started again, and still compressing
    assert packed.compressed and packed._inflater is inflater
    assert packed.raw.count(START_MCCP2) == 1
    assert "Village Square" in await packed.command("look")
    assert packed.wire_bytes - wire < (packed.plain_bytes - unpacked) / 2
    # GMCP: the new world tells each client its vitals and room again, as it supports
    for client in (packed, plain):
        await client.wait_for(lambda c=client: len(c.gmcp_of("Char.Vitals")) > vitals[c]
                              and len(c.gmcp_of("Room.Info")) > rooms[c])
    assert packed.gmcp_of("Char.Vitals")[-1] == {
        "hp": 100, "maxhp": 100, "mp": 100, "maxmp": 100, "sp": 100, "maxsp": 100}
    assert packed.gmcp_of("Room.Info")[-1]["name"] == "Village Square"
    assert plain.gmcp_of("Room.Info")[-1]["name"] == "Shrine of Bonding"
    # and goes on telling what changes: a bond raises the maximum health
    assert "cannot be undone" in await plain.command("bond ember to power")
    assert "You bond the ember essence to power" in await plain.command("yes")
    await plain.wait_for(lambda: plain.gmcp_of("Char.Vitals")[-1]["maxhp"] == 160)
    assert {package for package, _ in plain.gmcp} <= {
        "Char.Name", "Char.Vitals", "Char.Status", "Char.Items.Inv", "Char.Items.Add",
        "Char.Items.Remove", "Room.Info"}


# -- 3. a world that will not start -----------------------------------------------------------

WORLD_EXITED = r"mud\.gateway process=\S+ event=world_exited code=1 "


async def drain_while_away(client: TelnetClient) -> str:
    """What the server sent so far, read while no world plays the connection (the gateway
    answers the timing mark itself then)."""
    return await client.drain(timeout=WAIT)


class WorldFile:
    """monsters.toml of a copy of the bundled world, to break (a key the loader refuses, so a
    world loading it raises WorldError) and to mend."""

    def __init__(self, world: Path) -> None:
        self.path = world / "monsters.toml"
        self.good = self.path.read_text()
        self.broken = self.good.replace('id = "cellar_rat"\n',
                                        'id = "cellar_rat"\nbogus_key = 3\n', 1)
        assert self.broken != self.good

    def breaks(self) -> None:
        self.path.write_text(self.broken)

    def mend(self) -> None:
        self.path.write_text(self.good)


async def broken_world(server_factory, tmp_path: Path  # type: ignore[no-untyped-def]
                       ) -> tuple[ServerProcess, WorldFile]:
    """A server playing a copy of the bundled world, and a file of that copy to break."""
    world = tmp_path / "world"
    shutil.copytree(WORLD_DIR, world)
    server = await server_factory(extra_env={"MUD_WORLD_DIR": str(world)})
    return server, WorldFile(world)


async def reboot_into(server: ServerProcess, world_file: WorldFile) -> float:
    """Break the world file (the running world has read it), reboot from the console, and wait
    until the next world has failed to start twice (the gateway retries every 3 s). Returns
    when the reboot was asked for."""
    world_file.breaks()
    failures = log_count(server, WORLD_EXITED)
    started = time.monotonic()
    code, out = await mud_console(server, "reboot")
    assert code == 0 and "Rebooting the world: everyone stays connected." in out, out
    await wait_for_log(server, WORLD_EXITED, failures + 2)
    return started


async def test_a_world_that_will_not_start_keeps_everyone_waiting(server_factory,
                                                                   tmp_path: Path) -> None:
    server, world_file = await broken_world(server_factory, tmp_path)
    walker = Player(*await join(server), talk())
    idle = Player(*await join(server), talk())
    players = [walker, idle]
    # a floor item that must come through the failed starts (in the snapshot they wait for)
    assert "You pick up a rusty sword." in await walker.client.command("get sword")
    await walker.client.command("north")
    assert "You drop a rusty sword." in await walker.client.command("drop sword")
    disconnects = log_count(server, DISCONNECTED)
    snapshot = server.data_dir / "world.snapshot"

    started = await reboot_into(server, world_file)
    for player in players:
        player.type_gap()
    # the world is down: the console says so and why, and exits 1
    code, status = await mud_console(server, "status")
    print(f"\nconsole status while the world is down (exit code {code}):\n{status}")
    assert code == 1, status
    assert re.search(r"world +DOWN: the world exited with code 1: .*(?:problem\(s\) in world "
                     r"data|monsters\.toml)", status), status
    assert snapshot.exists(), "the snapshot waits for a world that starts"
    # the players: still connected, told the world is rebooting and then (once, not at every
    # attempt) that it could not start; their lines wait, unanswered
    for player in players:
        told = await drain_while_away(player.client)
        print(f"{player.name} was told while the world was down: {told!r}")
        rebooting = re.search(REBOOTING, told)
        assert rebooting, told
        assert len(re.findall(r"The\s+world\s+could\s+not\s+start", told[rebooting.end():])) \
            == 1, told
        assert "You say" not in told and "Goodbye" not in told, told
        player.told = told
    still_connected(server, *(p.client for p in players))

    world_file.mend()
    fixed = time.monotonic()
    code, out = await mud_console(server, "reboot")
    assert code == 0, out
    assert "Starting the world again now" in out or "The world is starting" in out, out
    await asyncio.gather(*(p.read_back_and_answers() for p in players))
    assert report_gap("world fixed, then console reboot", fixed, players) < GAP_LIMIT
    print(f"from the reboot into the broken world to the first answer: "
          f"{min(p.first_answer for p in players) - started:.2f} s")
    assert_told_and_answered(players)
    still_connected(server, *(p.client for p in players))
    assert log_count(server, DISCONNECTED) == disconnects

    code, status = await mud_console(server, "status")
    assert code == 0 and "DOWN" not in status and "2 playing" in status, status
    assert not snapshot.exists(), "read (and removed) by the world that started"
    assert "A rusty sword lies here." in await walker.client.command("look")
    assert "rusty sword" not in await idle.client.command("look")


# -- what the operator and the client are told while the world is away -----------------------


async def test_status_says_what_is_wrong_with_the_world(server_factory, tmp_path: Path) -> None:
    server, world_file = await broken_world(server_factory, tmp_path)
    player = Player(*await join(server), talk())
    await reboot_into(server, world_file)
    code, status = await mud_console(server, "status")
    assert code == 1 and "DOWN" in status
    assert "monsters.toml" in status and "bogus_key" in status, status
    world_file.mend()
    await mud_console(server, "reboot")
    player.type_gap()
    await player.read_back_and_answers()


async def test_timing_marks_are_answered_while_the_world_is_away(server_factory,
                                                                  tmp_path: Path) -> None:
    server, world_file = await broken_world(server_factory, tmp_path)
    client, _ = await join(server)
    await client.command("look")  # its timing mark answered by the world
    await reboot_into(server, world_file)
    client.send("say waiting")
    try:
        assert "You say" not in await client.drain(timeout=5)
    finally:
        world_file.mend()
        await mud_console(server, "reboot")
    assert "You say, 'waiting'" in await client.read_until("You say, 'waiting'", WAIT)


async def test_a_group_and_its_followers_carry_on_across_a_reboot(server_factory) -> None:
    server = await server_factory(extra_env=STILL_WORLD)
    leader, leader_name = await join(server)
    member, member_name = await join(server)
    follower, _ = await join(server)
    leader_name = leader_name.capitalize()
    await leader.command(f"group invite {member_name}")
    assert "You join the group." in await member.command("group accept")
    assert "You now follow" in await follower.command(f"follow {leader_name}")
    assert (await mud_console(server, "reboot"))[0] == 0
    for client in (leader, member, follower):
        await client.read_until(re.escape(BACK), WAIT)
    listed = await member.command("group")
    assert f"{leader_name}'s group:" in listed and member_name.capitalize() in listed
    await leader.command("north")
    await follower.read_until(f"You follow {leader_name} north.", WAIT)
    assert f"You follow {leader_name}." in await follower.command("follow")
