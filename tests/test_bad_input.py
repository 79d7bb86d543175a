"""Hostile and malformed input: a clear message or silence, never a crash, never a change."""

from __future__ import annotations

from tests.conftest import query


async def assert_still_serving(client) -> None:
    assert "normal rank" in await client.command("score")


async def test_overlong_line_is_refused_and_the_session_goes_on(player, server) -> None:
    alice, _ = await player()
    alice.send_raw(b"say " + b"A" * 100_000)  # no newline yet
    alice.send_raw(b"\r\n")
    reply = await alice.expect("too long")
    assert "over 4096 bytes) and was ignored" in reply
    alice.send("score")  # still serving, and nothing of the line was said before or since
    assert "AAAA" not in reply + await alice.read_until("normal rank")


async def test_overlong_username_at_login(connect) -> None:
    client = await connect()
    await client.read_until("Username: ")
    client.send_raw(b"x" * 200_000 + b"\r\n")
    await client.read_until("too long")
    client.send("connect")
    assert "Scripts may use" in await client.read_until("Username: ")


async def test_invalid_utf8_and_control_bytes(player, connect) -> None:
    alice, _a_name = await player()
    bob, _ = await player()
    await alice.drain()
    bob.send_raw(b"say caf\xc3\xa9 \xff\xfe\xfd bad \x1b[31mred\x1b[0m \x07bell\x00\r\n")
    heard = await alice.expect("says, '")
    heard += await alice.read_until("'") if heard.count("'") < 2 else ""
    assert "café" in heard
    assert "\x1b" not in heard and "\x07" not in heard and "\x00" not in heard
    await assert_still_serving(bob)


async def test_raw_telnet_commands_and_garbage(player) -> None:
    alice, _ = await player()
    # IAC NOP, IAC SB with no SE, stray IAC DO on unknown options, NUL and backspace
    alice.send_raw(b"\xff\xf1\xff\xfd\x99\xff\xfb\x42loox\x08k\x00\r\n")
    reply = await alice.read_prompt()
    assert "Village Square" in reply or "Unknown command" in reply
    await assert_still_serving(alice)
    alice.send_raw(b"\xff\xfa\x18\x01garbage-subnegotiation\xff\xf0\r\n")
    await alice.read_prompt()  # the empty line's
    await assert_still_serving(alice)


async def test_empty_and_whitespace_lines_just_prompt(player) -> None:
    alice, _ = await player()
    for line in ("", "   ", "\t"):
        assert (await alice.command(line)) == "100/100 hp 100/100 mp 100/100 st> "


async def test_sql_and_quotes_in_names_and_targets_change_nothing(player, connect, server) -> None:
    before = await query(server.database_url, "SELECT count(*) FROM players")
    client = await connect()
    await client.read_until("Username: ")
    client.send("connect x';DROP/**/TABLE/**/players;-- whatever")
    assert "There is no account" in await client.read_until("Username: ")
    client.send("create Rob'ert password1 rob@example.com")
    assert "A username is" in await client.read_until("Username: ")
    client.send("create robert2 password1 rob'@example.com")
    assert "does not look like an email" in await client.read_until("Username: ")
    after = await query(server.database_url, "SELECT count(*) FROM players")
    assert before == after
    items_before = await query(server.database_url, "SELECT count(*) FROM character_inventory")
    alice, _ = await player()
    assert "You see no '\"');" in await alice.command(
        "get \"'); DROP TABLE character_inventory;--")
    assert "There is no 'x');--' here." in await alice.command("give sword x');--")
    assert "No one called" in await alice.command("tell %s%s%n hello")
    await alice.quit()  # saves her (empty) inventory
    assert await query(server.database_url,
                       "SELECT count(*) FROM character_inventory") == items_before


async def test_bad_targets(player) -> None:
    alice, _ = await player()
    assert "Get what?" in await alice.command("get")
    assert "There is no zeroth one." in await alice.command("get 0.sword")
    assert "You don't have any 'nothing'." in await alice.command("drop nothing")
    assert "All of what?" in await alice.command("drop all.")
    assert "You can't go that way." in await alice.command("go 9999")
    assert "You see no 'ghost' here." in await alice.command("look ghost")
