"""GMCP's Core.Supports kept bounded: a capped set of packages per session, malformed entries
ignored, and nothing sent again when a message changes nothing (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

from mud.client import Options, TelnetClient
from mud.net.gmcp import MAX_SUPPORTED
from tests.conftest import PASSWORD, ServerProcess, new_name

Joiner = Callable[[list[Any]], Awaitable[TelnetClient]]


@pytest_asyncio.fixture
async def gmcp_player(server: ServerProcess) -> AsyncIterator[Joiner]:
    """A new character in the game on a client speaking GMCP that named supports first."""
    clients: list[TelnetClient] = []

    async def make(supports: list[Any]) -> TelnetClient:
        client = await TelnetClient.connect("127.0.0.1", server.port,
                                            options=Options.mud_client())
        clients.append(client)
        await client.wait_for(lambda: "Username: " in client.text)
        client.send_gmcp("Core.Supports.Set", supports)
        name = new_name()
        await client.create(name, PASSWORD, f"{name}@example.com")
        return client

    yield make
    for client in clients:
        await client.close()


def junk(message: int, count: int = 64) -> list[str]:
    """count package names no one else uses, distinct in every message."""
    return [f"Junk{message}x{i} 1" for i in range(count)]


async def test_two_hundred_adds_leave_at_most_the_cap(server: ServerProcess,
                                                      gmcp_player: Joiner) -> None:
    client = await gmcp_player(["Char.Vitals 1"])
    await client.wait_for(lambda: client.gmcp_of("Char.Vitals"))
    for message in range(200):  # 12,800 distinct names
        client.send_gmcp("Core.Supports.Add", junk(message))
    client.send_gmcp("Core.Supports.Add", ["Room 1"])
    await client.command("north")
    assert client.gmcp_of("Room.Info") == [], "the set is full: Room was not added"

    # one slot freed: the next add fits
    client.send_gmcp("Core.Supports.Remove", ["Junk0x0"])
    client.send_gmcp("Core.Supports.Add", ["Room 1"])
    await client.wait_for(lambda: client.gmcp_of("Room.Info"))
    assert client.gmcp_of("Room.Info")[-1]["id"] == "market_street"

    capped = [line for line in server.log_text().splitlines()
              if "event=gmcp_supports_full" in line]
    assert len(capped) == 1, "logged once per session, not per message"
    assert f"cap={MAX_SUPPORTED}" in capped[0]


async def test_a_set_keeps_at_most_the_cap(gmcp_player: Joiner) -> None:
    client = await gmcp_player([*junk(0, MAX_SUPPORTED), "Room 1"])
    await client.command("north")
    assert client.gmcp_of("Room.Info") == [], "only the first entries up to the cap count"


async def test_repeated_identical_supports_send_nothing_again(gmcp_player: Joiner) -> None:
    client = await gmcp_player(["Char 1", "Room 1"])
    await client.wait_for(lambda: client.gmcp_of("Char.Items.Inv") and client.gmcp_of("Room.Info"))
    await client.command("look")
    received = len(client.gmcp)
    for _ in range(50):
        client.send_gmcp("Core.Supports.Add", ["Char 1", "Room 1"])
        client.send_gmcp("Core.Supports.Set", ["Char 1", "Room 1"])
    await client.command("look")
    assert client.gmcp[received:] == [], "nothing changed, so nothing is sent again"

    client.send_gmcp("Core.Supports.Add", ["Comm.Channel 1"])  # a change that adds no state
    client.send_gmcp("Core.Supports.Remove", ["Room"])
    client.send_gmcp("Core.Supports.Add", ["Room 1"])  # Room back: its current state again
    await client.wait_for(lambda: len(client.gmcp_of("Room.Info")) == 2)
    await client.command("look")
    assert [name for name, _ in client.gmcp[received:]] == ["Room.Info"]


async def test_malformed_entries_are_ignored(gmcp_player: Joiner) -> None:
    client = await gmcp_player([
        "Room x", "Room 1 2", "Room.", ".Room 1", "Ro om", "", " ", 7, None, {"Room": 1},
        ["Room 1"], "R" * 80, "Char.Vitals 1"])
    await client.wait_for(lambda: client.gmcp_of("Char.Vitals"))
    await client.command("north")
    assert {package for package, _ in client.gmcp} == {"Char.Vitals"}
