"""The crash matrix (issue 14): SIGKILL at seeded moments while two characters walk, trade and
bond, with one server (a gateway and its world) and with a second gateway to the same world.
Each kill takes down the server whose world the game runs in; the database rows are read once
its connections are gone (the last committed state). Then, with the server started again, a
login on it or on the other gateway must show exactly those rows (`look`, `inventory`,
`essences`, `score`), writing the characters again must change none of them, and every item
must exist exactly once across both characters.

What is compared: of `characters` every column but the pools (they regenerate in between) and
updated_at; every column of the inventory, essence, ability, skill and quest rows (a row that
was deleted and written again would have a new created_at)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import signal
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mud.client import PROMPT, TelnetClient
from mud.text import counted
from mud.world.loader import load_world
from tests.conftest import ServerProcess, join, query, rejoin, wait_for_rows

SAVE_INTERVAL = 0.2
ENV = {"MUD_INPUT_RATE": "0",  # the players send as fast as the server answers
       "MUD_LEASE_SECONDS": "2"}  # a dead holder's lease runs out within two seconds
ROUNDS = 3  # kills per game
WORLD = load_world(Path(__file__).resolve().parent.parent / "world")
ROOM_NAMES = {room.name for room in WORLD.rooms.values()}
STOCK = {"rusty_sword": 1, "bronze_sword": 1, "copper_coin": 5}  # what the two carry in all
ESSENCES = ("ember", "tide")  # each exists once: as an item or as a bond
ATTRIBUTES = ("power", "speed", "spirit", "recovery")
GIFTS = ("all", "sword", "2 coin", "all.coin", "essence")
WALK = {"village_square": ("north", "market_street"), "market_street": ("south", "village_square")}

# the committed state: each table's rows, in a stable order
TABLES = {
    "characters": "SELECT name, id, rank, power, speed, spirit, recovery, current_room_id,"
                  " inventory_expansion, weak_until, frozen, prompt, colour"
                  " FROM characters ORDER BY name",
    "inventory": "SELECT c.name, i.id, i.item_id, i.quantity, i.slot, i.metadata, i.created_at"
                 " FROM character_inventory i JOIN characters c ON c.id = i.character_id"
                 " ORDER BY i.id",
    "essences": "SELECT c.name, e.id, e.essence_type, e.attribute_bound, e.rank_bonded,"
                " e.created_at FROM character_essences e"
                " JOIN characters c ON c.id = e.character_id ORDER BY e.id",
    "abilities": "SELECT * FROM character_abilities ORDER BY id",
    "skills": "SELECT id, character_id, skill_id, level, experience FROM character_skills"
              " ORDER BY id",
    "quests": "SELECT * FROM character_quests ORDER BY id",
}
Rows = dict[str, list[tuple]]


async def committed(url: str) -> Rows:
    return {table: await query(url, sql) for table, sql in TABLES.items()}


def of(rows: Rows, table: str, name: str) -> list[tuple]:
    return [row for row in rows[table] if row[0] == name]


@dataclass
class Game:
    """Server processes of one game: one database and one Redis prefix."""

    start_server: Callable[..., Awaitable[ServerProcess]]
    url: str
    prefix: str = field(default_factory=lambda: f"crash{uuid.uuid4().hex[:8]}")
    started: int = 0

    async def process(self, process_id: str | None = None) -> ServerProcess:
        """Start a process (process_id None: a new id each time, as by default)."""
        self.started += 1
        env = {**ENV, "PGAPPNAME": f"{self.prefix}-{self.started}"}
        if process_id is not None:
            env["MUD_PROCESS_ID"] = process_id
        return await self.start_server(self.url, redis_prefix=self.prefix,
                                       save_interval=SAVE_INTERVAL, extra_env=env)

    async def gateway(self, server: ServerProcess) -> ServerProcess:
        """A second gateway to server's world."""
        self.started += 1
        return await self.start_server(
            gateway_for=server, save_interval=SAVE_INTERVAL,
            extra_env={**ENV, "PGAPPNAME": f"{self.prefix}-{self.started}"})

    async def restart(self, server: ServerProcess) -> ServerProcess:
        """The same server started again: the same process id, if it was given one, and the
        same data folder (where its world listens for gateways)."""
        self.started += 1
        env = {**server.extra_env, "PGAPPNAME": f"{self.prefix}-{self.started}",
               "MUD_DATA_DIR": str(server.data_dir)}
        return await self.start_server(self.url, redis_prefix=self.prefix,
                                       save_interval=SAVE_INTERVAL, extra_env=env)

    async def kill(self, server: ServerProcess) -> Rows:
        """SIGKILL server; return the rows once its database connections have ended (a
        COMMIT it sent just before dying is then either in them or never will be)."""
        assert await server.stop(signal.SIGKILL) == -signal.SIGKILL
        await wait_for_rows(self.url, "SELECT count(*) FROM pg_stat_activity"
                                      " WHERE application_name = %s",
                            server.extra_env["PGAPPNAME"], expect=lambda r: r == [(0,)])
        return await committed(self.url)


# -- what a player sees ---------------------------------------------------------------------------

async def ask(client: TelnetClient, line: str, ending: str) -> str:
    """The reply to line, read through ending (a pattern in it) and the prompt after it, with
    whatever arrived before it: a message from the other player comes with a prompt of its
    own, which client.command would take for the reply's."""
    await client.drain()
    client.send(line)
    return await client.read_until(ending) + await client.read_prompt()


def room_names(look: str) -> list[str]:
    """The room titles in look (a line may start with the prompt of a message before)."""
    return [title for line in look.splitlines()
            if (title := line.rpartition(PROMPT)[2]) in ROOM_NAMES]


def carried(inventory: str) -> list[str]:
    return sorted(re.findall(r"^  (\S.*)$", inventory, re.M))


def bonded(essences: str) -> list[tuple[str, str, str]]:
    return sorted((kind.lower(), attribute, rank) for kind, attribute, rank in re.findall(
        r"^  (\w+) +(?:essence|confluence) +bound to (\w+) \(\+\d+\), bonded at (\w+) rank$",
        essences, re.M))


def attributes(score: str) -> tuple[int, ...]:
    return tuple(int(re.search(rf"^  {name.capitalize()} +(\d+)", score, re.M)[1])
                 for name in ATTRIBUTES)


async def assert_sees_committed(client: TelnetClient, name: str, rows: Rows) -> None:
    """What the player sees is exactly what the rows say."""
    [character] = of(rows, "characters", name)
    power, speed, spirit, recovery, room = character[3:8]
    items = of(rows, "inventory", name)
    assert all(row[4] is None for row in items), "nothing is worn or wielded in these games"
    look = await ask(client, "look", r"\[Exits:")
    assert room_names(look) == [WORLD.rooms[room].name], look
    inventory = await ask(client, "inventory", r"You are carrying nothing|stacks\)")
    assert carried(inventory) == sorted(counted(WORLD.items[item].name, quantity)
                                        for _, _, item, quantity, *_ in items), inventory
    essences = await ask(client, "essences", r"Your essences|You have bonded no essences")
    assert bonded(essences) == sorted(row[2:5] for row in of(rows, "essences", name)), essences
    score = await ask(client, "score", r"Essences \d")
    assert attributes(score) == (power, speed, spirit, recovery), score


async def save_again(client: TelnetClient, name: str, rows: Rows) -> None:
    """Make the game write the character again without changing anything: its core row (the
    prompt set to what it is) and, when it carries a sword, its inventory rows (the sword
    wielded and put away again); then quit, which saves."""
    await ask(client, "prompt default", "Your prompt is the default again")
    if any(row[2] in ("rusty_sword", "bronze_sword") for row in of(rows, "inventory", name)):
        wielded = await ask(client, "wield sword", r"You wield|You don't have")
        assert "You wield" in wielded, f"the committed sword is not in memory: {wielded}"
        await ask(client, "remove sword", "You stop wielding")
    assert "has been saved" in await client.quit()


async def assert_committed_state_comes_back(server: ServerProcess, names: list[str],
                                            rows: Rows) -> None:
    """Log the characters in on server: each sees its rows; written again, the rows stay."""
    clients = [client for client, _ in await asyncio.gather(
        *(rejoin(server, name) for name in names))]
    for client, name in zip(clients, names, strict=True):
        await assert_sees_committed(client, name.capitalize(), rows)
    for client, name in zip(clients, names, strict=True):
        await save_again(client, name.capitalize(), rows)
    assert await committed(server.database_url) == rows


def assert_each_item_exists_once(rows: Rows) -> None:
    held: Counter[str] = Counter()
    for _, _, item, quantity, *_ in rows["inventory"]:
        held[item] += quantity
    for item, total in STOCK.items():
        assert held[item] == total, (item, rows["inventory"])
    kinds = Counter(row[2] for row in rows["essences"])
    for essence in ESSENCES:
        assert held[f"{essence}_essence"] + kinds[essence] == 1, (essence, rows)
    assert set(held) <= set(STOCK) | {f"{essence}_essence" for essence in ESSENCES}, held


# -- the players ----------------------------------------------------------------------------------

@dataclass
class Party:
    """Two characters who walk together between Village Square and Market Street, trade what
    they carry and bond the essences. heard: all each player received since logging in."""

    names: list[str]
    clients: list[TelnetClient] = field(default_factory=list)
    room: str = "village_square"
    heard: list[str] = field(default_factory=list)

    async def enter(self, server: ServerProcess) -> None:
        """Log both in and walk the second to the first one's room if a kill parted them."""
        logins = await asyncio.gather(*(rejoin(server, name) for name in self.names))
        self.clients = [client for client, _ in logins]
        self.heard = ["", ""]
        rows = await committed(server.database_url)
        first, second = (of(rows, "characters", name.capitalize())[0][7] for name in self.names)
        if first != second:
            direction, _ = WALK[second]
            await self.clients[1].command(direction)
        self.room = first

    async def quit(self) -> None:
        for client in self.clients:
            assert "has been saved" in await client.quit()

    async def send(self, who: int, line: str) -> None:
        """Send line and wait for a prompt, keeping everything received. The prompt may be
        that of a message from the other player, so replies are not read here: only the
        whole of what was heard counts."""
        client = self.clients[who]
        self.heard[who] += await client.drain()
        client.send(line)
        self.heard[who] += await client.read_prompt()

    async def play(self, rng: random.Random) -> None:
        """Walk, trade and bond as fast as the server answers, until cancelled. Every bond is
        answered yes at once (refused, the yes is an unknown command)."""
        while True:
            action = rng.choices(("walk", "give", "bond"), weights=(3, 5, 2))[0]
            if action == "walk":
                direction, self.room = WALK[self.room]
                for who in range(2):
                    await self.send(who, direction)
            elif action == "give":
                giver, taker = rng.sample(range(2), 2)
                await self.send(giver, f"give {rng.choice(GIFTS)} {self.names[taker]}")
            else:
                who = rng.randrange(2)
                await self.send(who, f"bond {rng.choice(ESSENCES)} to {rng.choice(ATTRIBUTES)}")
                await self.send(who, "yes")

    async def play_until_killed(self, game: Game, server: ServerProcess, rng: random.Random,
                                moment: float) -> Rows:
        """Play for moment seconds, then SIGKILL server; the rows it left."""
        playing = asyncio.create_task(self.play(rng))
        await asyncio.sleep(moment)
        rows = await game.kill(server)
        playing.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await asyncio.wait_for(playing, 10)  # a clear failure, never a hang
        for who, client in enumerate(self.clients):  # what reached them before the kill
            try:
                self.heard[who] += await client.read_closed()
            except ConnectionError:  # reset: what arrived before it is still in client.text
                self.heard[who] += client.text
        return rows

    def assert_told_bonds_committed(self, rows: Rows) -> None:
        """A bond is told only once committed: the rows hold every bond a player heard of."""
        essences = {(row[0], row[2], row[3]) for row in rows["essences"]}
        told = {(name.capitalize(), essence, attribute)
                for name, heard in zip(self.names, self.heard, strict=True)
                for essence, attribute in re.findall(r"You bond the (\w+) essence to (\w+)\.",
                                                     heard)}
        assert told <= essences, (told, rows["essences"])


async def gather_the_stock(server: ServerProcess) -> Party:
    """Two new characters: the first picks up the sword and coins in the square and the two
    essences in the shrine, the second the bronze sword in Smithy Lane."""
    (first, first_name), (second, second_name) = await join(server), await join(server)
    for line in ("get all", "west", "west", "get all", "east", "east"):
        await first.command(line)
    for line in ("east", "get sword", "west"):
        await second.command(line)
    party = Party([first_name, second_name], [first, second])
    await party.quit()
    assert_each_item_exists_once(await committed(server.database_url))
    return party


# -- the matrix -----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [14, 1414])
@pytest.mark.parametrize("gateways", [1, 2], ids=["one gateway", "two gateways"])
async def test_a_kill_at_any_moment_leaves_the_last_committed_state(
        server_factory, make_database, gateways: int, seed: int) -> None:
    moments = random.Random(seed)  # when to kill and where to log in: the same every run
    game = Game(server_factory, make_database())
    # named or not, the world restarted on this host takes its dead predecessor's world lease
    # and its characters' leases back at once
    world = await game.process("alpha" if gateways == 2 else None)
    other = await game.gateway(world) if gateways == 2 else None
    party = await gather_the_stock(world)
    for round_ in range(ROUNDS):
        # logged in again from the cache entry its quit left (issue 14's first fault)
        await party.enter(world)
        moment = moments.uniform(0.005, 2 * SAVE_INTERVAL)
        rows = await party.play_until_killed(game, world, random.Random(f"{seed}-{round_}"),
                                             moment)
        assert_each_item_exists_once(rows)
        party.assert_told_bonds_committed(rows)
        world = await game.restart(world)
        login_on = other if other is not None and moments.random() < 0.5 else world
        await assert_committed_state_comes_back(login_on, party.names, rows)


@pytest.mark.parametrize("login_on", ["the other gateway", "the same server restarted"])
async def test_a_stale_cache_entry_is_never_served_after_a_crash(
        server_factory, make_database, login_on: str) -> None:
    """Issue 14's first fault, step by step: log in, quit (cached), log in again (loaded from
    the cache), walk north, wait until the database has Market Street, SIGKILL."""
    game = Game(server_factory, make_database())
    alpha = await game.process("alpha")
    beta = await game.gateway(alpha)
    client, name = await join(alpha)
    await client.quit()
    client, _ = await rejoin(alpha, name)
    assert "source=cache" in alpha.log_text().rsplit("event=character_loaded", 1)[-1]
    await client.command("get all")  # inventory rows the cached copy does not have
    assert "Market Street" in await client.command("north")
    await wait_for_rows(game.url, "SELECT current_room_id FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda r: r == [("market_street",)])
    rows = await game.kill(alpha)
    assert sorted(row[2:4] for row in rows["inventory"]) == [("copper_coin", 5),
                                                             ("rusty_sword", 1)]
    restarted = await game.restart(alpha)
    server = beta if login_on == "the other gateway" else restarted
    await assert_committed_state_comes_back(server, [name], rows)
