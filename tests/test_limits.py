"""Per-connection and per-address limits, login throttling, slow readers."""

from __future__ import annotations

import asyncio
import time

from mud.monitor import rss_kib
from tests.conftest import PASSWORD, join, rejoin


async def test_connections_per_address_are_limited(server_factory) -> None:
    server = await server_factory(extra_env={"MUD_MAX_CONNECTIONS_PER_ADDRESS": "3"})
    first = [await server.client() for _ in range(3)]
    for client in first:
        await client.read_until("Username: ")
    extra = await server.client()
    assert "Too many connections from your address (at most 3)" in await extra.read_closed()
    await first[0].close()
    await asyncio.sleep(0.2)
    again = await server.client()
    assert "Username: " in await again.read_until("Username: ")


async def test_input_flood_is_warned_then_cut_off(server_factory) -> None:
    server = await server_factory(extra_env={"MUD_INPUT_RATE": "20"})
    flooder, name = await join(server)
    bystander, _ = await join(server)
    flooder.send_raw(b"score\r\n" * 1000)
    text = await flooder.read_closed()
    assert "You are sending too fast" in text
    assert text.rstrip().endswith("Input flood. Disconnecting.")
    assert text.count("normal rank") <= 101  # the burst, not the flood, was served
    # the flooder's character is link-dead, not lost; the bystander plays on
    assert "normal rank" in await bystander.command("score")
    assert f"{name.capitalize()} is here (link-dead)." in await bystander.command("look")


async def test_a_burst_within_the_rate_is_served(player) -> None:
    alice, _ = await player()
    await alice.drain()
    alice.send_raw(b"score\r\n" * 30)
    replies = ""
    async with asyncio.timeout(10):
        while replies.count("normal rank") < 30:
            replies += await alice.read_prompt()
    assert "too fast" not in replies


async def test_wrong_passwords_slow_down_then_lock_the_account(server_factory) -> None:
    server = await server_factory(extra_env={"MUD_LOGIN_FAIL_DELAY": "0.2",
                                             "MUD_LOGIN_LOCKOUT": "2"})
    owner, name = await join(server)
    await owner.quit()
    replies = []
    for attempt in range(5):
        client = await server.client()
        await client.read_until("Username: ")
        started = time.monotonic()
        client.send(f"connect {name} wrong-{attempt}-password")
        await client.read_until("Wrong password.")
        replies.append(time.monotonic() - started)
        await client.close()
    assert replies[-1] >= 0.75, replies  # the fifth failure waits 4 x 0.2 s
    locked = await server.client()
    await locked.read_until("Username: ")
    locked.send(f"connect {name} {PASSWORD}")  # even the right password is refused now
    assert "Too many failed logins" in await locked.read_closed()
    await asyncio.sleep(2.1)
    _, welcome = await rejoin(server, name)
    assert "Welcome" in welcome


async def test_idle_login_prompt_times_out(server_factory) -> None:
    server = await server_factory(extra_env={"MUD_LOGIN_TIMEOUT": "0.5"})
    client = await server.client()
    assert "Login timed out." in await client.read_closed(timeout=5)


async def test_a_client_that_stops_reading_is_cut_off(server_factory) -> None:
    server = await server_factory(extra_env={"MUD_INPUT_RATE": "0",
                                             "MUD_INPUT_BYTES_RATE": "0"})
    sleeper, _ = await join(server)
    talker, _ = await join(server)
    base = rss_kib(server.proc.pid)
    sleeper._reader._transport.pause_reading()  # stop reading, as a stuck client would
    message = "say " + "x" * 4000
    async with asyncio.timeout(60):
        while "event=slow_client_dropped" not in server.log_text():
            await talker.command(message)
    growth_mib = (rss_kib(server.proc.pid) - base) / 1024
    assert growth_mib < 64, f"server grew {growth_mib:.0f} MiB for one stuck reader"
    talker.send("score")  # the talker is still served (after the replies still on their way)
    await talker.read_until("normal rank")
