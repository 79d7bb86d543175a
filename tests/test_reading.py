"""What players read, end to end over telnet: text wrapped to the client's window and long help
paged to its height. What the text says (help's markup, a and an, rooms in running text,
grouping, help searched for a word) is tested in memory (tests/test_cmd_reading.py)."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from mud.client import Options, TelnetClient
from tests.conftest import PASSWORD, ServerProcess, cached_copy_dropped, new_name, query

MORE = r"\[more (\d+)/(\d+): Enter for more, q to stop\] "
Window = Callable[..., Awaitable[tuple[TelnetClient, str]]]


@pytest_asyncio.fixture
async def window(server: ServerProcess) -> AsyncIterator[Window]:
    """Clients whose window (NAWS) is the size given, without colour, logged in as a new
    character (or as name, which exists); returns the client and the name."""
    clients: list[TelnetClient] = []

    async def open_(width: int, height: int = 24, name: str | None = None
                    ) -> tuple[TelnetClient, str]:
        client = await TelnetClient.connect(
            "127.0.0.1", server.port,
            options=Options.mud_client(width=width, height=height, ttypes=("plain",)))
        clients.append(client)
        if name is None:
            name = new_name()
            await client.create(name, PASSWORD, f"{name}@example.com")
        else:
            await client.login(name, PASSWORD)
        return client, name

    yield open_
    for client in clients:
        await client.close()


def lines_of(reply: str) -> list[str]:
    """The reply's lines without the prompt at its end."""
    return reply.split("\n")[:-1]


def assert_filled(lines: list[str], width: int) -> None:
    """Each line but the last is as full as a greedy fill makes it: the next word did not fit."""
    assert lines and all(len(line) <= width for line in lines), lines
    for line, after in itertools.pairwise(lines):
        assert len(line) + 1 + len(after.split()[0]) > width, (line, after)


def following(lines: list[str], start: str, indent: int) -> list[str]:
    """The line that starts with start and the lines after it indented by at least indent."""
    starts = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert starts, (start, lines)
    first = starts[0]
    block = [lines[first]]
    for line in lines[first + 1:]:
        if not line.startswith(" " * indent):
            break
        block.append(line)
    return block


# -- wrapping to the window -------------------------------------------------------------------


async def test_quest_speech_fills_the_window_under_the_speaker(window: Window) -> None:
    narrow, _ = await window(40)
    reply = lines_of(await narrow.command("quest accept 1"))
    speech = following(reply, "Elder Maren says: Another one", len("Elder Maren says: "))
    assert len(speech) >= 6
    assert_filled(speech, 40)
    assert all(line[len("Elder Maren says: ")] != " " for line in speech)
    wide, _ = await window(100)
    speech = following(lines_of(await wide.command("quest accept 1")), "Elder Maren says:", 18)
    assert len(speech) >= 3
    assert_filled(speech, 100)


async def test_monster_descriptions_fill_the_window(window: Window) -> None:
    client, _ = await window(40)
    reply = lines_of(await client.command("look maren"))
    assert reply[-1] == "Elder Maren is in perfect health."
    assert len(reply) > 4
    assert_filled(reply[:-1], 40)


async def test_help_wraps_under_its_usage_and_its_summaries(window: Window) -> None:
    client, _ = await window(40, height=0)  # no height: not paged
    help_quest = lines_of(await client.command("help quest"))
    usage = help_quest[next(i for i, line in enumerate(help_quest)
                            if line.startswith("Usage: ")):]
    assert len(usage) > 5 and all(len(line) <= 40 for line in usage)
    assert all(line.startswith(("Usage: ", " " * 7)) for line in usage), usage
    listing = lines_of(await client.command("help"))
    look = following(listing, "  look ", 4)
    column = look[0].index("Look at")
    assert len(look) > 1 and all(line[:column].isspace() and line[column] != " "
                                 for line in look[1:]), look


async def test_abilities_read_well_narrow_and_wide(window: Window, server: ServerProcess
                                                   ) -> None:
    client, name = await window(40)
    await client.quit()
    await query(server.database_url,
                "INSERT INTO character_inventory (character_id, item_id)"
                " SELECT id, 'ember_essence' FROM characters WHERE name = %s", name.capitalize())
    await cached_copy_dropped(server, name)
    client, _ = await window(40, name=name)
    await client.command("bond ember to power")
    assert "ember" in await client.command("yes")
    narrow = lines_of(await client.command("abilities"))
    assert all(len(line) <= 40 for line in narrow), narrow
    stoke = following(narrow, "  Stoke the Coals (normal): buff", 4)
    assert stoke[1].startswith("    asleep until iron, 14 stamina,") and len(stoke) <= 3
    assert following(narrow, "  Cinder Flick (normal): damage", 4)[1].startswith("    ready,")
    client.resize(80)
    middle = lines_of(await client.command("abilities"))
    assert len(middle) == 11 and all(len(line) <= 80 for line in middle), middle  # 2 each
    client.resize(120)
    wide = lines_of(await client.command("abilities"))
    assert len(wide) == 6  # the essence, then one line for each of its five abilities
    assert all("progress 0/20" in line and len(line) <= 120 for line in wide[1:])


# -- paging and searching help ----------------------------------------------------------------


async def test_help_is_paged_to_the_window_height(window: Window) -> None:
    client, _ = await window(80, height=10)
    await client.drain()
    client.send("help")
    page = await client.read_until(MORE, timeout=5)
    shown, pages = map(int, re.search(MORE, page).groups())
    assert shown == 1 and pages >= 3
    assert len(page.strip("\n").split("\n")) <= 10  # 9 lines of help and the more prompt
    client.send("")
    assert re.search(MORE, await client.read_until(MORE)).group(1) == "2"
    client.send("q")
    assert "[more" not in await client.read_prompt()
    client.send("help")
    await client.read_until(MORE)
    looked = await client.command("look")  # any other command ends the paging, and runs
    assert "Village Square" in looked and "[more" not in looked


async def test_help_is_not_paged_without_a_height(player) -> None:
    client, _ = await player()
    listing = await client.command("help")
    assert "[more" not in listing and "Type 'help <command>' for more" in listing
