"""Players who fight monsters while a benchmark measures everyone else: each walks (by the
world data's map) to a room with monsters, attacks whatever is there, waits for the outcome,
and goes back there after dying. Spread over every zone that has monsters to fight."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from mud.client import TelnetClient
from mud.world.loader import World, load_world

WORLD_DIR = Path(__file__).resolve().parent.parent / "world"
OUTCOME = r"is dead!|strikes you down|You see no '|not someone to fight|You are not fighting"


@dataclass
class FightStats:
    fighters: int = 0
    fights: int = 0
    kills: int = 0
    deaths: int = 0
    timeouts: int = 0
    rooms: int = 0
    zones: int = 0


def battlegrounds(world: World) -> list[str]:
    """Rooms with monsters that can be fought, in zone order, interleaved across zones."""
    by_zone: dict[str, list[str]] = {}
    for room in world.rooms.values():
        if any(not world.monsters[s.id].peaceful for s in room.monsters):
            by_zone.setdefault(room.zone, []).append(room.id)
    rooms: list[str] = []
    queues = [deque(ids) for ids in by_zone.values()]
    while any(queues):
        for queue in queues:
            if queue:
                rooms.append(queue.popleft())
    return rooms


def route(world: World, start: str, goal: str) -> list[str]:
    """The exits to take from start to goal (breadth first); [] when already there."""
    previous: dict[str, tuple[str, str] | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here == goal:
            break
        for exit_name, there in world.rooms[here].exits.items():
            if there not in previous:
                previous[there] = (here, exit_name)
                queue.append(there)
    steps: list[str] = []
    at = goal
    while previous.get(at) is not None:
        here, exit_name = previous[at]  # type: ignore[misc]
        steps.append(exit_name)
        at = here
    return steps[::-1]


class Fighter:
    def __init__(self, client: TelnetClient, world: World, goal: str, stats: FightStats) -> None:
        self.client, self.world, self.goal, self.stats = client, world, goal, stats
        self.arrived = asyncio.Event()  # at its battleground for the first time
        self.names = {room.name: room.id for room in world.rooms.values()}
        self.hostile = {m.name.capitalize(): m for m in world.monsters.values()
                        if not m.peaceful}

    async def where(self) -> tuple[str | None, str]:
        text = await self.client.command("look")
        first = next((line for line in text.splitlines() if line.strip()), "")
        return self.names.get(first.strip()), text

    async def run(self, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            try:
                await self._round()
            except TimeoutError:
                self.stats.timeouts += 1
            except (ConnectionError, OSError):
                return

    async def _round(self) -> None:
        here, text = await self.where()
        if here != self.goal and here is not None:
            for step in route(self.world, here, self.goal):
                reply = await self.client.command(step)
                if "You are fighting" in reply:
                    await self._outcome()
                    return
            return
        self.arrived.set()
        foes = [m for name, m in self.hostile.items() if f"{name} is here" in text]
        if not foes:
            await asyncio.sleep(2)
            return
        self.stats.fights += 1
        self.client.send(f"kill {foes[0].keywords[-1]}")
        await self._outcome()

    async def _outcome(self) -> None:
        text = await self.client.read_until(OUTCOME, timeout=120)
        if "strikes you down" in text:
            self.stats.deaths += 1
            await self.client.read_until("You wake in", timeout=10)
        elif "is dead!" in text:
            self.stats.kills += 1
        await asyncio.sleep(0.5)
        await self.client.drain()


async def start_fighters(clients: list[TelnetClient], stop_at: float, timeout: float = 120.0
                         ) -> tuple[list[asyncio.Task[None]], FightStats]:
    """Send logged-in clients to fight, spread over the battlegrounds of every zone; return
    once every one has reached its battleground (or timeout has passed)."""
    world = load_world(WORLD_DIR)
    rooms = battlegrounds(world)
    stats = FightStats(fighters=len(clients), rooms=min(len(rooms), len(clients)),
                       zones=len({world.rooms[r].zone for r in rooms[:len(clients)]}))
    fighters = [Fighter(c, world, rooms[i % len(rooms)], stats) for i, c in enumerate(clients)]
    tasks = [asyncio.create_task(f.run(stop_at)) for f in fighters]
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            for fighter in fighters:
                await fighter.arrived.wait()
    return tasks, stats


async def stop_fighters(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


def summary(stats: FightStats) -> dict[str, int]:
    return dict(stats.__dict__)

