"""Small holes closed with issue 14: argon2 runs one thread per hash, account creation checks
names before hashing and is limited per address, MSSP does not give the machine's host name
away, and the in-memory login limits are pruned on their own schedule."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from mud.auth import Passwords
from mud.client import MSSP, Options, TelnetClient
from tests.conftest import PASSWORD, ServerProcess, join, new_name, query

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: the server plays degraded

# -- argon2 -----------------------------------------------------------------------------------


async def test_new_hashes_use_one_lane() -> None:
    passwords = Passwords(time_cost=1, memory_kib=8192)
    try:
        encoded = await passwords.hash(PASSWORD)
    finally:
        passwords.close()
    assert "$m=8192,t=1,p=1$" in encoded


async def test_hashes_made_with_four_lanes_still_verify() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=4).hash(PASSWORD)
    passwords = Passwords(time_cost=1, memory_kib=8192)
    try:
        assert await passwords.verify(old, PASSWORD)
        assert not await passwords.verify(old, "wrong-horse")
    finally:
        passwords.close()


def threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc")
async def test_one_hash_runs_on_one_thread() -> None:
    passwords = Passwords(time_cost=2, memory_kib=32768, workers=1)
    before = threads()
    try:
        hashing = asyncio.ensure_future(passwords.hash(PASSWORD))
        most = before
        while not hashing.done():  # argon2 starts a thread per lane while it fills memory
            most = max(most, threads())
            await asyncio.sleep(0)
        await hashing
    finally:
        passwords.close()
    assert most - before <= 1, "only the hashing pool's own worker thread"


# -- creating accounts ------------------------------------------------------------------------


async def timed_create(server: ServerProcess, username: str, email: str) -> tuple[float, str]:
    """Seconds from a one-line create to the server's answer, and the answer."""
    client = await server.client()
    try:
        await client.read_until("Username: ")
        started = time.monotonic()
        client.send(f"create {username} {PASSWORD} {email}")
        reply = await client.read_until("(Character name|Username): ")
        return time.monotonic() - started, reply
    finally:
        await client.close()


async def test_taken_username_and_email_are_refused_before_hashing(server_factory) -> None:
    # hashing at the production cost, so that a refusal after hashing could not pass for one
    # before it
    server = await server_factory(extra_env={"MUD_ARGON2_TIME_COST": "3",
                                             "MUD_ARGON2_MEMORY_KIB": "65536"})
    name = new_name()
    hashed, reply = await timed_create(server, name, f"{name}@example.com")
    assert "Character name: " in reply

    other = new_name()
    taken_name, reply = await timed_create(server, name.upper(), f"{other}@example.com")
    assert "That username is already registered." in reply
    taken_email, reply = await timed_create(server, other, f"{name}@EXAMPLE.com")
    assert "That email is already registered." in reply
    assert max(taken_name, taken_email) < hashed / 2, "no password was hashed for them"
    assert await query(server.database_url, "SELECT 1 FROM players WHERE username = %s",
                       other) == []


async def test_new_accounts_are_limited_per_address(server_factory, make_database) -> None:
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    env = {"MUD_NEW_ACCOUNTS_PER_ADDRESS": "2"}
    server = await server_factory(database, redis_prefix=prefix, extra_env=env)
    other = await server_factory(gateway_for=server, extra_env=env)
    first, first_name = await join(server)
    second, _ = await join(other)  # counted on every gateway of the game

    name = new_name()
    _, reply = await timed_create(server, name, f"{name}@example.com")
    assert "Too many new accounts from your address" in reply
    assert "try again in 60 minutes" in reply.lower()
    assert await query(server.database_url, "SELECT 1 FROM players WHERE username = %s",
                       name) == []

    client = await server.client()
    await client.read_until("Username: ")
    client.send(new_name())  # the interactive signup says so before asking for a password
    refused = await client.read_until("Username: ")
    assert "Too many new accounts from your address" in refused
    assert "password" not in refused.lower()

    await first.quit()  # logging in to an existing account is not limited
    client.send(f"connect {first_name} {PASSWORD}")
    assert f"Welcome, {first_name.capitalize()}." in await client.read_prompt()
    for done in (client, second):
        await done.close()


async def test_the_limit_is_counted_in_memory_while_redis_is_away(server_factory) -> None:
    server = await server_factory(redis_url=UNREACHABLE_REDIS,
                                  extra_env={"MUD_NEW_ACCOUNTS_PER_ADDRESS": "1"})
    client, _ = await join(server)
    name = new_name()
    _, reply = await timed_create(server, name, f"{name}@example.com")
    assert "Too many new accounts from your address" in reply
    await client.close()


# -- MSSP -------------------------------------------------------------------------------------


async def mssp_of(server: ServerProcess) -> dict[str, list[str]]:
    client = await TelnetClient.connect("127.0.0.1", server.port,
                                        options=Options(do=frozenset({MSSP})))
    try:
        await client.wait_for(lambda: "PLAYERS" in client.mssp)
        return client.mssp
    finally:
        await client.close()


async def test_mssp_hostname_stays_empty_unless_set(server: ServerProcess, server_factory
                                                    ) -> None:
    assert (await mssp_of(server))["HOSTNAME"] == [""]
    named = await server_factory(extra_env={"MUD_MSSP_HOSTNAME": "mud.example.org"})
    assert (await mssp_of(named))["HOSTNAME"] == ["mud.example.org"]


# -- the in-memory login limits ---------------------------------------------------------------


async def test_in_memory_login_limits_are_pruned_without_stats(server_factory) -> None:
    server = await server_factory(redis_url=UNREACHABLE_REDIS, extra_env={
        "MUD_STATS_INTERVAL": "0", "MUD_LOGIN_LOCKOUT": "1", "MUD_LOG_LEVEL": "DEBUG"})
    client, name = await join(server)
    await client.quit()
    client = await server.client()
    await client.read_until("Username: ")
    client.send(f"connect {name} wrong-horse")
    await client.read_until("Wrong password.")
    await client.close()
    async with asyncio.timeout(10):
        while "event=login_limits_pruned" not in server.log_text():
            await asyncio.sleep(0.1)
    assert "forgotten=2" in server.log_text(), "the account's and the address's counts"
