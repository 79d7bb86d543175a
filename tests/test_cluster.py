"""Several server processes of one game, sharing one PostgreSQL and one Redis: channels, tells,
`who` and notices cross between them; with Redis away each plays on alone, and when it comes
back everything crosses again."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest_asyncio
import redis.asyncio as aioredis

from mud.client import TelnetClient
from mud.cluster.redis import EmbeddedRedis
from tests.conftest import PASSWORD, ServerProcess, join, query, rejoin, wait_for_rows


@pytest_asyncio.fixture
async def pair(server_factory, make_database) -> tuple[ServerProcess, ServerProcess]:
    """Processes A and B of one game."""
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    first = await server_factory(database, redis_prefix=prefix,
                                 extra_env={"MUD_PROCESS_ID": "alpha"})
    second = await server_factory(database, redis_prefix=prefix,
                                  extra_env={"MUD_PROCESS_ID": "beta"})
    return first, second


@pytest_asyncio.fixture
async def pair_on_own_redis(server_factory, make_database, tmp_path: Path
                            ) -> AsyncIterator[tuple[EmbeddedRedis, ServerProcess,
                                                     ServerProcess]]:
    """Processes A and B of one game, on a Redis the test may stop and start again."""
    redis = EmbeddedRedis(tmp_path / "redis")
    url = await redis.start()
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    first = await server_factory(database, redis_url=url, redis_prefix=prefix)
    second = await server_factory(database, redis_url=url, redis_prefix=prefix)
    yield redis, first, second
    await redis.stop()


async def eventually(client: TelnetClient, line: str, expect: str, tries: int = 50) -> str:
    """Send line until the reply holds expect (the bus may still be reconnecting)."""
    for _ in range(tries):
        reply = await client.command(line)
        if expect in reply:
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError(f"{expect!r} never came back from {line!r}; last: {reply!r}")


async def test_chat_tell_reply_and_who_cross_between_processes(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_name, bob_name = ann_name.capitalize(), bob_name.capitalize()

    who = await eventually(ann, "who", bob_name)
    assert ann_name in who and "2 players online." in who
    assert ann_name in await eventually(bob, "who", ann_name)

    assert f"[chat] {ann_name}: hello from alpha" in await ann.command("chat hello from alpha")
    assert f"[chat] {ann_name}: hello from alpha" in await bob.read_until("from alpha")

    assert f"You tell {bob_name}, 'psst'" in await ann.command(f"tell {bob_name} psst")
    assert f"{ann_name} tells you, 'psst'" in await bob.read_until("psst'")
    assert f"You tell {ann_name}, 'hi back'" in await bob.command("reply hi back")
    assert f"{bob_name} tells you, 'hi back'" in await ann.read_until("hi back'")

    # the history is PostgreSQL's, which alpha writes within a second
    await eventually(bob, "chat", f"[chat] {ann_name}: hello from alpha")
    assert "The chat channel is off." in await bob.command("channels off chat")
    await ann.command("chat nobody hears this on beta")
    # the bus keeps ann's order: had the chat reached bob, it would come before this line
    await ann.command("ooc after the chat")
    assert "nobody hears" not in await bob.read_until(r"\[ooc\] \w+: after the chat")
    assert "No one called 'Nobodyhere' is playing." in await ann.command("tell Nobodyhere hi")


async def test_a_process_going_down_is_announced_to_the_others(pair) -> None:
    first, second = pair
    await join(first)
    bob, _ = await join(second)
    await eventually(bob, "who", "2 players online.")
    assert await first.stop() == 0
    assert "[notice] Server alpha is shutting down" in await bob.read_until("shutting down")
    assert "1 player online." in await eventually(bob, "who", "1 player online.")


async def test_redis_away_and_back(pair_on_own_redis) -> None:
    redis, first, second = pair_on_own_redis
    ann, ann_name = await join(first)
    bob, _ = await join(second)
    await eventually(ann, "who", "2 players online.")

    await redis.stop()
    # each process plays on: commands, movement, saving, local channels
    assert "normal rank" in await ann.command("score")
    assert "Market Street" in await ann.command("north")
    reply = await eventually(ann, "chat anyone there", "Only this server heard you")
    assert f"[chat] {ann_name.capitalize()}: anyone there" in reply
    assert "Other servers cannot be reached" in await eventually(
        ann, "who", "Other servers cannot be reached")

    await redis.start()
    await eventually(ann, "who", "2 players online.")  # presences announced again
    for attempt in range(20):  # until beta has subscribed again too
        reply = await ann.command(f"chat are you back {attempt}")
        try:
            await bob.read_until(f"are you back {attempt}", timeout=0.5)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("chat never crossed again after Redis came back")
    assert "Only this server heard you" not in reply


async def test_a_login_on_another_process_brings_the_character_with_its_last_change(
        server_factory, make_database) -> None:
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    # A saves only when it must: the change below is still only in A's memory
    first = await server_factory(database, redis_prefix=prefix, save_interval=60,
                                 extra_env={"MUD_PROCESS_ID": "alpha"})
    second = await server_factory(database, redis_prefix=prefix,
                                  extra_env={"MUD_PROCESS_ID": "beta"})
    ann, name = await join(first)
    await ann.command("north")  # made inside the save interval
    again, welcome = await rejoin(second, name)
    assert "bringing it here" in welcome
    assert "Market Street" in welcome  # A saved it before letting go
    assert "You have logged in from another server." in await ann.read_closed()
    assert "event=handed_over character=" + name.capitalize() + " saved=True" in \
        first.log_text()
    # only B has it now: a second login on B is a takeover within B, not a handoff
    assert "Market Street" in await again.command("look")


async def test_a_crashed_holders_lease_expires(server_factory, make_database) -> None:
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    env = {"MUD_LEASE_SECONDS": "2"}
    first = await server_factory(database, redis_prefix=prefix, save_interval=0.2,
                                 extra_env=env)
    second = await server_factory(database, redis_prefix=prefix, extra_env=env)
    ann, name = await join(first)
    await ann.command("north")
    await wait_for_rows(database, "SELECT current_room_id FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda r: r == [("market_street",)])
    assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
    _, welcome = await rejoin(second, name)  # waits for the dead holder's lease to run out
    assert "bringing it here" in welcome  # the lease was still the dead process's
    assert "Market Street" in welcome  # no older than one save interval
    assert "event=handoff_received" in second.log_text()


async def test_failed_logins_count_across_processes(server_factory, make_database) -> None:
    database, prefix = make_database(), f"game{uuid.uuid4().hex[:8]}"
    env = {"MUD_LOGIN_FAIL_DELAY": "0.01", "MUD_LOGIN_LOCKOUT": "30"}
    first = await server_factory(database, redis_prefix=prefix, extra_env=env)
    second = await server_factory(database, redis_prefix=prefix, extra_env=env)
    owner, name = await join(first)
    await owner.quit()
    for attempt in range(5):  # three failures on A, two on B
        client = await (first if attempt < 3 else second).client()
        await client.read_until("Username: ")
        client.send(f"connect {name} wrong-{attempt}-password")
        await client.read_until("Wrong password.")
        await client.close()
    locked = await first.client()
    await locked.read_until("Username: ")
    locked.send(f"connect {name} {PASSWORD}")
    assert "Too many failed logins" in await locked.read_closed()


async def test_a_cached_character_logs_in_without_reading_its_rows(server_factory) -> None:
    server = await server_factory()
    ann, name = await join(server)
    await ann.command("north")
    await ann.quit()  # saved, then cached
    # while another session holds every character table, a login that read them would wait
    async with await psycopg.AsyncConnection.connect(server.database_url) as blocker:
        await blocker.execute("LOCK TABLE character_inventory, character_essences,"
                              " character_abilities, character_quests, character_skills"
                              " IN ACCESS EXCLUSIVE MODE")
        _, welcome = await asyncio.wait_for(rejoin(server, name), 5)
        await blocker.rollback()
    assert "Market Street" in welcome
    assert "source=cache" in server.log_text().rsplit("event=character_loaded", 1)[-1]


async def test_an_offline_edit_is_never_served_stale_from_the_cache(server_factory) -> None:
    server = await server_factory()
    ann, name = await join(server)
    await ann.command("north")
    await ann.quit()  # cached with Market Street
    [(character_id,)] = await query(server.database_url,
                                    "SELECT id FROM characters WHERE name = %s",
                                    name.capitalize())
    key = f"{server.redis_prefix}:character:{character_id}"
    redis = aioredis.from_url(server.redis_url)
    try:
        assert await redis.exists(key)  # cached on the way out
        await query(server.database_url, "UPDATE characters SET current_room_id ="
                    " 'temple_walk' WHERE name = %s", name.capitalize())
        async with asyncio.timeout(5):  # the change notice reaches the server, which drops it
            while await redis.exists(key):
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()
    _, welcome = await rejoin(server, name)
    assert "Temple Walk" in welcome
    assert "source=database" in server.log_text().rsplit("event=character_loaded", 1)[-1]


async def test_finger_finds_characters_playing_elsewhere_and_offline(pair) -> None:
    first, second = pair
    ann, _ = await join(first)
    bob, bob_name = await join(second)
    await eventually(ann, f"finger {bob_name}", "is playing now")
    await bob.quit()
    assert f"{bob_name.capitalize()}, normal rank, is not playing now. Essences: none." in \
        await eventually(ann, f"finger {bob_name}", "is not playing now")
    assert "There is no character called 'Nobodyatall'." in await ann.command(
        "finger Nobodyatall")


async def test_copies_made_while_redis_was_away_are_reconciled(pair_on_own_redis) -> None:
    redis, first, second = pair_on_own_redis
    owner, name = await join(first)
    await owner.quit()
    await redis.stop()
    on_first, _ = await rejoin(first, name)  # no lease can be taken: both let it in
    on_second, _ = await rejoin(second, name)
    await redis.start()
    # one keeps the character; the other saves its copy and lets go
    watches = {asyncio.create_task(on_first.read_closed(timeout=15)): on_second,
               asyncio.create_task(on_second.read_closed(timeout=15)): on_first}
    done, pending = await asyncio.wait(watches, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    ended = done.pop()
    assert "logged in from another server" in ended.result()
    await asyncio.sleep(1.5)  # well past a reconciliation: the other copy stays
    assert "normal rank" in await watches[ended].command("score")


async def test_wizards_see_each_players_process_in_who(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    await join(second)
    assert "(alpha)" not in await eventually(ann, "who", "2 players online.")  # players don't
    await ann.quit()
    await query(first.database_url, "UPDATE players SET role = 'wizard' WHERE username = %s",
                ann_name)
    wizard, _ = await rejoin(first, ann_name)
    listing = await eventually(wizard, "who", "2 players online.")
    assert "(alpha)" in listing and "(beta)" in listing


async def test_bans_wizlock_invisibility_and_building_reach_every_process(pair) -> None:
    first, second = pair
    wizard, wizard_name = await join(first)
    await wizard.quit()
    await query(first.database_url, "UPDATE players SET role = 'admin' WHERE username = %s",
                wizard_name)
    wizard, _ = await rejoin(first, wizard_name)
    bob, bob_name = await join(second)
    await eventually(bob, "who", wizard_name.capitalize())
    await wizard.command("invis")
    await eventually(bob, "who", "1 player online.")
    wizard.send(f"ban account {bob_name}")
    await wizard.read_until(r"closed\.")
    assert "You have been banned" in await bob.read_closed()
    await wizard.command(f"unban account {bob_name}")
    assert "only wizards and admins may log in" in await wizard.command("wizlock on")
    for _ in range(50):  # the other process hears of the lock over the bus
        refused = await TelnetClient.connect("127.0.0.1", second.port)
        await refused.read_until("Username: ")
        refused.send(f"connect {bob_name} {PASSWORD}")
        if "closed to players" in await refused.read_until("closed to players|> "):
            break
        await refused.close()
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the wizlock never reached the other process")
    await wizard.command("wizlock off")
    assert "You dig up and make Lookout Post" in await wizard.command("dig up Lookout Post")
    bob, _ = await rejoin(second, bob_name)
    assert "Lookout Post" in await eventually(bob, "up", "Lookout Post")
