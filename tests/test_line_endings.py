"""Every line ending clients send ends one line, once, and the line limit holds however the
bytes of a line are split across writes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from mud.client import TelnetClient
from mud.net.connection import MAX_LINE_BYTES

Player = Callable[[], Awaitable[tuple[TelnetClient, str]]]

# what each kind of client sends for Enter (RFC 854: CR LF; a bare CR is CR NUL)
ENDINGS = {"CR LF (MUD clients, Windows telnet)": b"\r\n", "LF (nc)": b"\n",
           "CR NUL (stock telnet in character mode, PuTTY)": b"\r\0", "lone CR": b"\r"}


async def send_in_parts(client: TelnetClient, *parts: bytes) -> None:
    """Each part in a write of its own, each reaching the server before the next is sent."""
    for part in parts:
        client.send_raw(part)
        # nothing the server sends tells that it has read a part: a pause lets it read each
        # in a read of its own rather than all at once
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
async def test_each_line_ending_ends_one_line(connect, ending: bytes) -> None:
    client = await connect()
    await client.read_until("Username: ")
    client.send_raw(b"nosuchaccountname" + ending)
    assert "Create it? (yes/no)" in await client.read_until(r"\(yes/no\) ")
    client.send_raw(b"no" + ending + b"connect" + ending)
    answered = await client.read_until("Scripts may use")
    # one refusal of the creation, then the bare `connect` (not `\0connect` nor an empty
    # line first) answered by the usage text
    assert answered.count("Username: ") == 1, answered


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
async def test_each_line_ending_in_the_game(player: Player, ending: bytes) -> None:
    alice, _ = await player()
    await alice.drain()
    alice.send_raw(b"say one" + ending + b"say two" + ending)
    heard = await alice.read_until("You say, 'two'")
    assert heard.count("You say, 'one'") == 1
    assert "Unknown command" not in heard and "\0" not in heard


async def test_cr_lf_split_across_reads_is_one_line_end(player: Player) -> None:
    alice, _ = await player()
    await alice.drain()
    alice.send_raw(b"say one\r")  # a lone CR ends the line at once...
    await alice.read_until("You say, 'one'")
    await alice.read_until("> ")
    await send_in_parts(alice, b"\nsay two\r", b"\0say three\r\n")  # ...and its LF adds none
    heard = await alice.read_until("You say, 'three'")
    # an extra, empty line would have drawn a prompt of its own
    assert heard.count("> ") == 1, heard
    assert heard.count("You say, 'two'") == 1


LONG = b"say " + b"A" * 5000


@pytest.mark.parametrize("parts", [
    [LONG + b"\r\n"],  # all in one write
    [LONG[:3000], LONG[3000:] + b"\r\n"],
    [LONG, b"\r\n"],
    [LONG + b"\r", b"\n"],
    [LONG[:4096], LONG[4096:4097], LONG[4097:] + b"\r\0"],
    [LONG[i:i + 700] for i in range(0, len(LONG), 700)] + [b"\n"],
], ids=["one write", "split inside", "ending apart", "CR and LF apart", "at the limit",
        "many small writes"])
async def test_the_line_limit_holds_however_the_line_is_split(player: Player,
                                                              parts: list[bytes]) -> None:
    alice, _ = await player()
    await alice.drain()
    await send_in_parts(alice, *parts)
    reply = await alice.read_until(r"was ignored\.")
    assert f"too long (over {MAX_LINE_BYTES} bytes)" in reply
    alice.send("say after")
    heard = await alice.read_until("You say, 'after'")
    assert "AAAA" not in heard, "no part of the long line was taken as a command"
    assert "Unknown command" not in heard


async def test_a_line_of_exactly_the_limit_is_taken(player: Player) -> None:
    alice, _ = await player()
    await alice.drain()
    line = b"say " + b"B" * (MAX_LINE_BYTES - 4)
    await send_in_parts(alice, line[:2048], line[2048:] + b"\r\n")
    heard = await alice.read_until("You say, '")
    heard += await alice.read_until("'")
    assert "B" * 100 in heard and "too long" not in heard
