"""Accounts and login over real telnet connections."""

from __future__ import annotations

import re

import pytest

from mud.auth import Passwords
from mud.client import TelnetClient
from mud.config import Settings
from tests.conftest import PASSWORD, new_name, query


async def test_interactive_account_creation_hides_passwords(connect, server) -> None:
    name = new_name()
    client: TelnetClient = await connect()
    await client.read_until("Username: ")
    client.send(name)
    await client.read_until(r"Create it\? \(yes/no\) ")
    client.send("yes")
    await client.read_until("Choose a password: ")
    assert client.server_echo, "server must say WILL ECHO before a password"
    client.send(PASSWORD)
    await client.read_until("Repeat the password: ")
    assert client.server_echo
    client.send("something-else")
    await client.read_until("do not match")
    await client.read_until("Choose a password: ")
    client.send(PASSWORD)
    await client.read_until("Repeat the password: ")
    client.send(PASSWORD)
    await client.read_until("Email address: ")
    assert not client.server_echo, "echo must come back after the password"
    client.send("not-an-email")
    await client.read_until("does not look like an email")
    client.send(f"{name}@example.com")
    await client.read_until("Character name: ")
    client.send(name)
    welcome = await client.read_until(r"> $")
    assert f"Welcome, {name.capitalize()}." in welcome
    assert "Village Square" in welcome
    rows = await query(server.database_url,
                       "SELECT p.username, p.email, p.password_hash, c.name, c.current_room_id"
                       " FROM players p JOIN characters c ON c.player_id = p.id"
                       " WHERE p.username = %s", name)
    assert len(rows) == 1
    username, email, password_hash, character, room = rows[0]
    assert (username, email, character, room) == (
        name, f"{name}@example.com", name.capitalize(), "village_square")
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash


async def test_interactive_login_with_known_account(player, connect, server) -> None:
    first, name = await player()
    await first.quit()
    client = await connect()
    await client.read_until("Username: ")
    client.send(name.upper())  # usernames are case-insensitive
    await client.read_until("Password: ")
    assert client.server_echo
    client.send(PASSWORD)
    welcome = await client.read_until(r"> $")
    assert f"Welcome, {name.capitalize()}." in welcome
    rows = await query(server.database_url,
                       "SELECT last_login IS NOT NULL FROM players WHERE username = %s", name)
    assert rows == [(True,)]


async def test_one_line_connect(player, connect) -> None:
    first, name = await player()
    await first.quit()
    client = await connect()
    reply = await client.login(name, PASSWORD)
    assert f"Welcome, {name.capitalize()}." in reply


async def test_three_wrong_passwords_disconnect(player, connect) -> None:
    first, name = await player()
    client = await connect()
    await client.read_until("Username: ")
    client.send(name)
    for _ in range(3):
        await client.read_until("Password: ")
        client.send("wrong-password")
        await client.read_until("Wrong password.")
    rest = await client.read_closed()
    assert "Too many wrong passwords" in rest
    # the real owner is unaffected
    assert "Players online" in await first.command("who")


async def test_wrong_one_line_password_is_refused(player, connect) -> None:
    _, name = await player()
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"connect {name} nope-nope-nope")
    assert "Wrong password." in await client.read_until("Username: ")
    client.send(f"connect nosuchuser{name[1:5]} whatever")
    assert "There is no account named" in await client.read_until("Username: ")


async def test_duplicate_username_and_email_are_refused(player, connect) -> None:
    _, name = await player()
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"create {name.lower()} {PASSWORD} other@example.com")
    assert "username is already registered" in await client.read_until("Username: ")
    client.send(f"create {new_name()} {PASSWORD} {name}@example.com")
    assert "email is already registered" in await client.read_until("Username: ")


@pytest.mark.parametrize("bad_name", [
    "Robert'); DROP TABLE characters;--", "O'Brien", "ab", "x" * 21, "Zed9", "look", "north",
    "Ünïcode",
])
async def test_bad_character_names_are_refused(connect, server, bad_name: str) -> None:
    name = new_name()
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"create {name} {PASSWORD} {name}@example.com")
    await client.read_until("Character name: ")
    client.send(bad_name)
    reply = await client.read_until("Character name: ")
    assert re.search(r"A character name is|reserved word", reply)
    client.send("Goodname" + name[1:4].lower())
    assert "Welcome" in await client.read_until(r"> $")
    rows = await query(server.database_url,
                       "SELECT count(*) FROM characters WHERE name = %s", bad_name)
    assert rows == [(0,)]


async def test_taken_character_name_is_refused(player, connect) -> None:
    _, taken = await player()
    name = new_name()
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"create {name} {PASSWORD} {name}@example.com")
    await client.read_until("Character name: ")
    client.send(taken.lower())
    assert "is taken" in await client.read_until("Character name: ")


async def test_several_characters_give_a_menu(player, connect, server) -> None:
    first, name = await player()
    await first.quit()
    second = "Second" + name[1:5].lower()
    await query(server.database_url,
                "INSERT INTO characters (player_id, name, current_room_id, health, mana, stamina)"
                " SELECT id, %s, 'market_street', 100, 100, 100 FROM players WHERE username = %s"
                " RETURNING id", second, name)
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"connect {name} {PASSWORD}")
    menu = await client.read_until("Character: ")
    assert f"1. {name.capitalize()}" in menu and f"2. {second}" in menu
    client.send("2")
    welcome = await client.read_until(r"> $")
    assert f"Welcome, {second}." in welcome and "Market Street" in welcome


async def test_a_server_with_no_settings_hashes_at_the_production_cost() -> None:
    """The suite's servers hash cheaply (tests/conftest.py) to save a tenth of a second of CPU a
    login; a server started with no settings hashes with argon2id, 64 MiB, three passes, one
    lane."""
    settings = Settings.load(environ={})
    passwords = Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
    try:
        password_hash = await passwords.hash(PASSWORD)
        assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=1$")
        assert await passwords.verify(password_hash, PASSWORD)
    finally:
        passwords.close()
