"""The telnet extensions MUD clients speak, byte by byte against the running server: negotiation,
prompt marks, NAWS word wrap, MTTS, CHARSET, colour, prompts, GMCP, MSSP, MCCP2 and TLS."""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from mud.client import (
    DO,
    DONT,
    EOR,
    GA,
    GMCP,
    IAC,
    MCCP2,
    MSSP,
    NAWS,
    SGA,
    TTYPE,
    WILL,
    WONT,
    Options,
    TelnetClient,
)
from mud.net.telnet import GuardedTelnetServer
from mud.net.terminal import Colours, Mtts, Terminal, parse_mtts
from tests.conftest import PASSWORD, ServerProcess, new_name
from tests.test_wizard import with_role

ESC = "\x1b"
MCCP3 = 87
CHARSET = 42

Opener = Callable[..., Awaitable[TelnetClient]]


@pytest_asyncio.fixture
async def open_client(server: ServerProcess) -> AsyncIterator[Opener]:
    """Clients of the shared server with the given Options (default: refuse everything)."""
    clients: list[TelnetClient] = []

    async def open_(options: Options | None = None, port: int | None = None,
                    tls: ssl.SSLContext | None = None) -> TelnetClient:
        client = await TelnetClient.connect("127.0.0.1", port or server.port, options=options,
                                            ssl=tls)
        client.keep_raw = True
        clients.append(client)
        return client

    yield open_
    for client in clients:
        await client.close()


async def enter(client: TelnetClient) -> str:
    name = new_name()
    await client.create(name, PASSWORD, f"{name}@example.com")
    return name


def lines_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


# -- negotiation ------------------------------------------------------------------------------


async def test_a_client_that_refuses_everything_still_plays(open_client: Opener) -> None:
    client = await open_client()
    started = time.monotonic()
    await client.wait_for(lambda: "Username: " in client.text)
    assert time.monotonic() - started < 0.4, "refusals must not hold the login back"
    assert (DO, TTYPE) in client.negotiation
    assert (WILL, MSSP) in client.negotiation  # offered to all, answered DONT here
    # it refused TTYPE, so nothing else is offered to it
    assert (WILL, GMCP) not in client.negotiation and (WILL, MCCP2) not in client.negotiation
    await enter(client)
    reply = await client.command("look")
    assert ESC not in reply, "no colour for a client that announced none"
    assert bytes([IAC, GA]) in client.raw, "a telnet client without EOR gets GA after prompts"
    assert bytes([IAC, 239]) not in client.raw


async def test_a_bare_socket_gets_no_go_ahead(server: ServerProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    name = new_name()
    async with asyncio.timeout(10):
        received = await reader.readuntil(b"Username: ")
        writer.write(f"create {name} {PASSWORD} {name}@example.com\r\n".encode())
        received += await reader.readuntil(b"Character name: ")
        writer.write(f"{name}\r\n".encode())
        received += await reader.readuntil(b" st> ")
        writer.write(b"quit\r\n")
        received += await reader.read()
    assert bytes([IAC, GA]) not in received and bytes([IAC, 239]) not in received
    assert b"Goodbye" in received
    writer.close()


def test_telnet_commands_sent_with_the_connect_settle_negotiation_once() -> None:
    """On uvloop (the server's loop) a connection's first bytes are read before the negotiation
    connection_made scheduled has begun. A client whose first packet refuses TTYPE settles
    negotiation there; neither the first scheduled check nor the final one at connect_maxwait may
    settle it again (that raised InvalidStateError in the loop's exception handler)."""
    uvloop = pytest.importorskip("uvloop")
    errors: list[str] = []
    shells: list[bool] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context["message"]
                                   + ": " + repr(context.get("exception"))))
        listener = socket.create_server(("127.0.0.1", 0))
        client = socket.create_connection(listener.getsockname())
        client.sendall(bytes([IAC, WONT, TTYPE]))  # there before the server reads
        accepted, _ = listener.accept()

        async def shell(_reader: object, _writer: object) -> None:
            shells.append(True)

        protocol = GuardedTelnetServer(shell=shell, encoding=False, force_binary=True,
                                       line_mode=True, connect_maxwait=0.2,
                                       bytes_per_second=1000.0, mssp=dict)
        transport, _ = await loop.connect_accepted_socket(lambda: protocol, accepted)
        await asyncio.sleep(0.5)  # past connect_maxwait: the final check has had its turn
        transport.close()
        client.close()
        listener.close()

    uvloop.run(scenario())
    assert errors == []
    assert shells == [True]


async def test_a_mud_client_is_offered_the_mud_options(open_client: Opener) -> None:
    client = await open_client(Options.mud_client())
    started = time.monotonic()
    await client.wait_for(lambda: "Username: " in client.text)
    assert time.monotonic() - started < 0.4
    for offer in ((WILL, EOR), (WILL, GMCP), (WILL, MCCP2), (WILL, MSSP),
                  (DO, NAWS), (DO, TTYPE), (DO, CHARSET)):
        assert offer in client.negotiation, offer
    assert (WILL, MCCP3) not in client.negotiation, "MCCP3 is broken server side: not offered"
    assert (WILL, SGA) not in client.negotiation, "stock telnet would go to character mode"
    answers = [body for option, body in client.subnegotiations if option == TTYPE]
    assert answers.count(b"\x01") >= 3, "the server cycles TTYPE to read MTTS"
    await enter(client)
    await client.command("look")  # a reply whose prompt is marked with IAC EOR
    await client.wait_for(lambda: b"[Exits:" in client.raw
                          and client.raw.endswith(b" st> " + bytes([IAC, 239])))


async def test_an_unanswered_mssp_offer_does_not_delay_the_login(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(silent=frozenset({MSSP})))
    started = time.monotonic()
    await client.wait_for(lambda: "Username: " in client.text)
    assert time.monotonic() - started < 0.4


async def test_refused_mccp3_and_unknown_subnegotiations_are_ignored(open_client: Opener) -> None:
    client = await open_client(Options.mud_client())
    await client.wait_for(lambda: "Username: " in client.text)
    client.send_raw(bytes([IAC, WILL, MCCP3]))  # a client wanting to compress its input
    client.send_subnegotiation(69, b"\x01" * 5000)  # MSDP, which the server does not read
    client.send_subnegotiation(GMCP, b"Core.Hello {bad json")
    client.send_subnegotiation(NAWS, b"\x00" * 300)  # malformed and oversized
    await client.wait_for(lambda: (DONT, MCCP3) in client.negotiation)
    await enter(client)
    assert (await client.command("score")).count("Health") == 1


# -- NAWS and word wrap -----------------------------------------------------------------------


async def test_word_wrap_follows_the_window_width(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(width=40, ttypes=("plain",)))
    await enter(client)
    narrow = lines_of(await client.command("look"))
    assert max(map(len, narrow[:-1])) <= 40
    assert any(len(line) > 30 for line in narrow), "lines are filled, not cut short"
    client.resize(120)
    wide = lines_of(await client.command("look"))
    assert len(wide) < len(narrow)
    assert 78 < max(map(len, wide)) <= 120, "descriptions are reflowed to the window"
    client.resize(25)
    assert max(map(len, lines_of(await client.command("look"))[:-1])) <= 25


async def test_no_wrap_without_naws(open_client: Opener) -> None:
    client = await open_client()
    await enter(client)
    reply = await client.command("say " + "word " * 40)
    assert any(len(line) > 150 for line in reply.split("\n"))


# -- TTYPE, MTTS and colour -------------------------------------------------------------------


def test_mtts_bits_decode() -> None:
    assert parse_mtts("MTTS 2831") == Mtts(2831)
    assert parse_mtts("XTERM") is None and parse_mtts("MTTS x") is None
    terminal = Terminal()
    terminal.on_ttype(["TINTIN++", "XTERM-256COLOR", "MTTS 77"])  # ANSI, UTF-8, 256, reader
    assert terminal.client == "TINTIN++"
    assert terminal.colours == Colours.XTERM and terminal.screen_reader
    assert terminal.encoding == "utf-8"
    terminal.on_ttype(["MUSHCLIENT", "ANSI", "MTTS 1"])
    assert terminal.colours == Colours.ANSI and terminal.encoding == "latin-1"
    terminal.on_ttype(["xterm-truecolor"])
    assert terminal.colours == Colours.TRUE


async def test_a_screen_reader_gets_no_ascii_art(open_client: Opener) -> None:
    reader = await open_client(Options.mud_client(ttypes=("MUDLET", "XTERM", "MTTS 69")))
    await reader.wait_for(lambda: "Username: " in reader.text)
    assert "Enter your username" in reader.text and "|__/" not in reader.text
    sighted = await open_client(Options.mud_client())
    await sighted.wait_for(lambda: "Username: " in sighted.text)
    assert "|__/" in sighted.text


@pytest.mark.parametrize("ttypes, announced, red", [
    (("MUDLET", "XTERM-256COLOR", "MTTS 2831"), "true colour", "\x1b[38;2;255;136;0m"),
    (("TINTIN++", "XTERM-256COLOR", "MTTS 13"), "256 colours", "\x1b[38;5;208m"),
    (("MUSHCLIENT", "ANSI", "MTTS 1"), "16 colours", "\x1b[33m"),
    (("dumb",), "no colour", None),
])
async def test_colour_follows_what_the_client_announced(
        open_client: Opener, ttypes: tuple[str, ...], announced: str, red: str | None) -> None:
    client = await open_client(Options.mud_client(ttypes=ttypes))
    await enter(client)
    reply = " ".join((await client.command("color")).split())
    assert f"your client announced {announced}" in reply
    said = await client.command("say {#ff8800}orange")
    if red is None:
        assert ESC not in said and "orange" in said
    else:
        assert red + "orange" in said and said.count("\x1b[0m") >= 1


async def test_color_on_and_off(open_client: Opener) -> None:
    plain = await open_client()
    await enter(plain)
    assert ESC not in await plain.command("look")
    assert "turned on by you" in await plain.command("color on")
    assert ESC in await plain.command("look")
    await plain.command("color off")
    assert ESC not in await plain.command("look")
    coloured = await open_client(Options.mud_client())
    await enter(coloured)
    assert ESC in await coloured.command("look")
    await coloured.command("color off")
    assert ESC not in await coloured.command("look")


async def test_player_text_cannot_inject_escape_sequences(open_client: Opener) -> None:
    speaker, listener = await open_client(), await open_client(Options.mud_client())
    await enter(speaker)  # both start in the start room
    await enter(listener)
    speaker.send_raw(b"say \x1b[2J\x1b]0;pwned\x07{red}red{{ok}\r\n")
    heard = await listener.expect("says")
    assert "\x1b[2J" not in heard and "\x1b]0" not in heard and "\x07" not in heard
    assert "{ok}" in heard
    line = next(x for x in heard.split("\n") if "says" in x)
    assert line.endswith("\x1b[0m"), "colour a player starts ends with the line"


# -- CHARSET ----------------------------------------------------------------------------------


async def test_charset_latin1_is_honoured(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(charset="ISO-8859-1"))
    await enter(client)
    assert (CHARSET, b"\x01 UTF-8 ISO-8859-1 US-ASCII") in client.subnegotiations
    client.send_raw("say café\r\n".encode("latin-1"))
    await client.read_until("caf")
    await client.read_until("> ")
    assert "café".encode("latin-1") in client.raw


# -- prompt -----------------------------------------------------------------------------------


async def test_prompt_template(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(ttypes=("plain",)))
    await enter(client)
    client.send("prompt <%h/%Hhp %m/%Mmp %s/%Ssp %r> ")
    await client.read_until("Prompt set.")
    await client.read_until(r"<100/100hp 100/100mp 100/100sp normal> ")
    await client.wait_for(lambda: b"normal> " + bytes([IAC, 239]) in client.raw)
    client.send("prompt default")
    await client.read_until(r"\n100/100 hp 100/100 mp 100/100 st> ")


async def test_plain_prompt_for_other_clients_unchanged(open_client: Opener) -> None:
    client = await open_client()
    await enter(client)
    assert (await client.command("prompt")).endswith("> ")


# -- GMCP -------------------------------------------------------------------------------------


async def gmcp_client(open_client: Opener, supports: list[str]) -> tuple[TelnetClient, str]:
    client = await open_client(Options.mud_client())
    await client.wait_for(lambda: "Username: " in client.text)
    client.send_gmcp("Core.Hello", {"client": "Mudlet", "version": "4.17.2"})
    client.send_gmcp("Core.Supports.Set", supports)
    return client, (await enter(client)).capitalize()


async def test_gmcp_char_and_room(server: ServerProcess, open_client: Opener) -> None:
    client, name = await gmcp_client(open_client, ["Char 1", "Room 1", "Comm.Channel 1"])
    await client.wait_for(lambda: client.gmcp_of("Char.Items.Inv") and client.gmcp_of("Room.Info"))
    assert client.gmcp_of("Char.Name") == [{"name": name, "fullname": name}]
    assert client.gmcp_of("Char.Vitals") == [
        {"hp": 100, "maxhp": 100, "mp": 100, "maxmp": 100, "sp": 100, "maxsp": 100}]
    status = client.gmcp_of("Char.Status")[0]
    assert status["rank"] == "normal" and status["power"] == 10
    assert client.gmcp_of("Char.Items.Inv") == [{"location": "inv", "items": []}]
    room = client.gmcp_of("Room.Info")[0]
    assert set(room) >= {"num", "name", "area", "environment", "exits"}
    assert isinstance(room["num"], int) and room["name"] == "Village Square"
    assert set(room["exits"]) == {"north", "east", "south", "west"}
    assert all(isinstance(num, int) for num in room["exits"].values())

    await client.command("look")
    assert len(client.gmcp_of("Char.Vitals")) == 1, "unchanged vitals are not sent again"
    await client.command("north")
    await client.wait_for(lambda: len(client.gmcp_of("Room.Info")) == 2)
    north = client.gmcp_of("Room.Info")[1]
    assert north["num"] == room["exits"]["north"] and north["exits"]["south"] == room["num"]
    await client.command("south")

    await client.command("get coin")
    await client.wait_for(lambda: client.gmcp_of("Char.Items.Add"))
    added = client.gmcp_of("Char.Items.Add")[0]
    assert added["location"] == "inv" and "copper coin" in added["item"]["name"]
    await client.command("drop coin")
    await client.wait_for(lambda: client.gmcp_of("Char.Items.Remove"))
    assert client.gmcp_of("Char.Items.Remove")[0]["item"]["id"] == added["item"]["id"]

    await client.command("chat hello, mappers")
    await client.wait_for(lambda: client.gmcp_of("Comm.Channel.Text"))
    assert client.gmcp_of("Comm.Channel.Text")[0] == {
        "channel": "chat", "talker": name, "text": f"[chat] {name}: hello, mappers"}

    wizard, _ = await with_role(server, "wizard")
    assert "health is now 37" in await wizard.command(f"set {name} health 37")
    # no text reaches the player: the game tick finds the change (and regeneration after it)
    await client.wait_for(lambda: client.gmcp_of("Char.Vitals")[-1]["hp"] < 50, timeout=8)
    await wizard.close()


async def test_gmcp_sends_only_supported_packages(open_client: Opener) -> None:
    client, _ = await gmcp_client(open_client, ["Char.Vitals 1"])
    await client.wait_for(lambda: client.gmcp_of("Char.Vitals"))
    await client.command("north")
    assert {package for package, _ in client.gmcp} == {"Char.Vitals"}
    client.send_gmcp("Core.Supports.Add", ["Room 1"])
    await client.wait_for(lambda: client.gmcp_of("Room.Info"))
    client.send_gmcp("Core.Supports.Remove", ["Room"])
    await client.command("south")
    assert len(client.gmcp_of("Room.Info")) == 1


async def test_no_gmcp_for_a_client_that_refused_it(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(do=frozenset({EOR})))
    await client.wait_for(lambda: "Username: " in client.text)
    client.send_gmcp("Core.Supports.Set", ["Char 1", "Room 1"])
    await enter(client)
    await client.command("north")
    assert client.gmcp == []


# -- MSSP -------------------------------------------------------------------------------------


async def test_mssp_over_telnet(server: ServerProcess, open_client: Opener) -> None:
    client = await open_client(Options(do=frozenset({MSSP})))
    await client.wait_for(lambda: "PLAYERS" in client.mssp)
    for variable in ("NAME", "PLAYERS", "UPTIME", "CODEBASE", "CONTACT", "CRAWL DELAY",
                     "HOSTNAME", "PORT", "LANGUAGE", "GAMESYSTEM", "ROOMS", "GMCP", "MCCP"):
        assert variable in client.mssp, variable
    assert client.mssp["NAME"] == ["Greywater"]
    assert client.mssp["PORT"] == [str(server.port)]
    assert abs(int(client.mssp["UPTIME"][0]) - time.time()) < 24 * 3600
    assert int(client.mssp["ROOMS"][0]) > 10


async def test_mssp_request_in_plain_text(open_client: Opener) -> None:
    client = await open_client()
    await client.read_until("Username: ")
    client.send("MSSP-REQUEST")
    reply = await client.read_closed()
    body = reply[reply.index("MSSP-REPLY-START"):reply.index("MSSP-REPLY-END")]
    variables = dict(line.split("\t", 1) for line in body.split("\n")[1:] if line)
    assert variables["NAME"] == "Greywater" and variables["PLAYERS"].isdigit()
    assert variables["CRAWL DELAY"] == "-1"


# -- MCCP2 ------------------------------------------------------------------------------------


async def test_mccp2_stream_inflates_to_the_game_text(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(height=0))  # no height: help is not paged
    await enter(client)
    assert client.compressed
    start = client.raw.index(bytes([IAC, 250, MCCP2, IAC, 240])) + 5
    plain_before, wire_before = len(client.raw) - start, client.wire_bytes
    help_text = await client.command("help")
    assert "Type 'help <command>' for more." in help_text
    plain = len(client.raw) - start - plain_before
    assert client.wire_bytes - wire_before < plain / 2, "help text compresses well"
    goodbye = await client.quit()
    assert "Goodbye" in goodbye
    assert not client.compressed, "the stream was finished (Z_FINISH) before the close"


async def test_mccp2_by_hand_with_zlib(server: ServerProcess) -> None:
    """The wire bytes after IAC SB MCCP2 IAC SE are one zlib stream."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(bytes([IAC, WILL, TTYPE]))
    wire = b""
    async with asyncio.timeout(10):
        while bytes([IAC, WILL, MCCP2]) not in wire:
            wire += await reader.read(4096)
        writer.write(bytes([IAC, DO, MCCP2]))
        marker = bytes([IAC, 250, MCCP2, IAC, 240])
        while marker not in wire:
            wire += await reader.read(4096)
        inflater = zlib.decompressobj()
        text = inflater.decompress(wire[wire.index(marker) + len(marker):])
        while b"Username: " not in text:
            text += inflater.decompress(await reader.read(4096))
    assert b"a MUD of essences and ranks" in text
    writer.close()


async def test_no_compression_for_a_client_that_refuses_it(open_client: Opener) -> None:
    client = await open_client(Options.mud_client(do=frozenset({EOR, GMCP})))
    await enter(client)
    assert not client.compressed and all(opt != MCCP2 for opt, _ in client.subnegotiations)
    assert client.wire_bytes == len(client.raw)


# -- TLS --------------------------------------------------------------------------------------


async def test_tls_listener_serves_the_game(server_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    tls_server = await server_factory(extra_env={"MUD_TLS_PORT": "0",
                                                  "MUD_DATA_DIR": str(tmp_path / "data")})
    port = int(re.search(r"event=tls_listening host=\S+ port=(\d+)", tls_server.log_text())[1])
    assert (tmp_path / "data" / "tls" / "cert.pem").exists()
    assert (tmp_path / "data" / "tls" / "key.pem").stat().st_mode & 0o077 == 0
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client = await TelnetClient.connect("127.0.0.1", port, options=Options.mud_client(),
                                        ssl=context)
    await enter(client)
    assert "Village Square" in await client.command("look")
    assert (WILL, MCCP2) not in client.negotiation, "no compression under TLS"
    await client.close()


async def test_wizards_see_each_connections_client_in_users(open_client: Opener,
                                                             server: ServerProcess) -> None:
    client = await open_client(Options.mud_client())
    name = await enter(client)
    wizard, _ = await with_role(server, "wizard")
    listing = await wizard.command("users")
    line = next(line for line in listing.split("\n") if name.capitalize() in line)
    assert "MUDLET" in line and "playing" in line
