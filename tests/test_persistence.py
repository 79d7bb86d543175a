"""Write-behind saving, restarts, signals and sessions, against real server processes."""

from __future__ import annotations

import asyncio
import signal
import time

from tests.conftest import join, query, rejoin, wait_for_rows


async def test_change_reaches_database_within_one_save_interval(server_factory) -> None:
    server = await server_factory(save_interval=1.0)
    alice, name = await join(server)
    await alice.command("north")
    moved_at = time.monotonic()
    await wait_for_rows(server.database_url,
                        "SELECT current_room_id FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda r: r == [("market_street",)],
                        timeout=2.0)
    assert time.monotonic() - moved_at < 1.5


async def test_movement_survives_a_restart(server_factory) -> None:
    server = await server_factory()
    alice, name = await join(server)
    await alice.command("north")
    await alice.command("east")
    assert await server.stop() == 0
    again = await server_factory(server.database_url)
    _, welcome = await rejoin(again, name)
    assert "Harrow's General Store" in welcome


async def test_give_then_sigkill_leaves_the_item_in_exactly_one_inventory(server_factory) -> None:
    server = await server_factory(save_interval=0.2)
    alice, a_name = await join(server)
    _bob, b_name = await join(server)
    await alice.command("get sword")
    await wait_for_rows(server.database_url,
                        "SELECT count(*) FROM character_inventory WHERE item_id = 'rusty_sword'",
                        expect=lambda r: r == [(1,)])
    await alice.command(f"give sword {b_name}")
    await asyncio.sleep(0.05)  # kill somewhere around the next flush
    assert await server.stop(signal.SIGKILL) == -signal.SIGKILL
    rows = await query(server.database_url,
                       "SELECT c.name FROM character_inventory i"
                       " JOIN characters c ON c.id = i.character_id"
                       " WHERE i.item_id = 'rusty_sword'")
    assert rows in ([(a_name.capitalize(),)], [(b_name.capitalize(),)])
    # and after a restart the world agrees with the database
    again = await server_factory(server.database_url)
    holder = rows[0][0]
    client, _ = await rejoin(again, holder.lower())
    assert "a rusty sword" in await client.command("inventory")


async def test_sigterm_flushes_everything_and_exits_zero(server_factory) -> None:
    server = await server_factory(save_interval=60)  # nothing is saved by the timer
    alice, a_name = await join(server)
    bob, b_name = await join(server)
    await alice.command("get all")
    await alice.command("west")
    await bob.command("south")
    server.proc.send_signal(signal.SIGTERM)
    notice = await alice.read_closed()
    assert "shutting down" in notice
    assert await server.stop(None) == 0
    rows = await query(server.database_url,
                       "SELECT name, current_room_id FROM characters ORDER BY name")
    assert sorted(rows) == sorted([(a_name.capitalize(), "temple_walk"),
                                   (b_name.capitalize(), "south_lane")])
    items = await query(server.database_url,
                        "SELECT item_id, quantity FROM character_inventory ORDER BY item_id")
    assert items == [("copper_coin", 5), ("rusty_sword", 1)]


async def test_link_loss_leaves_a_linkdead_character_that_resumes(server_factory) -> None:
    server = await server_factory()
    alice, _a_name = await join(server)
    bob, b_name = await join(server)
    await bob.command("get sword")
    bob.in_game = False
    await bob.close()  # the connection drops without quit
    await alice.expect(f"{b_name.capitalize()} has lost their link.")
    assert f"{b_name.capitalize()} is here (link-dead)." in await alice.command("look")
    again, welcome = await rejoin(server, b_name)
    assert "Welcome back" in welcome
    await alice.expect(f"{b_name.capitalize()} has reconnected.")
    assert "a rusty sword" in await again.command("inventory")


async def test_second_login_takes_the_character_over(server_factory) -> None:
    server = await server_factory()
    first, name = await join(server)
    await first.command("north")
    second, welcome = await rejoin(server, name)
    assert "Market Street" in welcome
    assert "logged in as you from elsewhere" in await first.read_closed()
    who = await second.command("who")
    assert who.count(name.capitalize()) == 1
    assert "1 player online" in who


async def test_linkdead_character_is_saved_and_removed_after_timeout(server_factory) -> None:
    # the timer saves nothing in this test: what reaches the database was saved for the
    # link-dead character
    server = await server_factory(save_interval=60, extra_env={"MUD_LINKDEAD_TIMEOUT": "0.5"})
    alice, _a_name = await join(server)
    bob, b_name = await join(server)
    await bob.command("get all")
    await bob.command("north")
    await alice.command("north")
    bob.in_game = False
    await bob.close()
    await alice.expect(f"{b_name.capitalize()} has lost their link.")
    await alice.expect(f"{b_name.capitalize()} has left the game.")
    assert b_name.capitalize() not in await alice.command("who")
    await wait_for_rows(server.database_url,
                        "SELECT c.current_room_id, i.item_id, i.quantity FROM characters c"
                        " JOIN character_inventory i ON i.character_id = c.id"
                        " WHERE c.name = %s ORDER BY i.item_id", b_name.capitalize(),
                        expect=lambda r: r == [("market_street", "copper_coin", 5),
                                               ("market_street", "rusty_sword", 1)])
    _, welcome = await rejoin(server, b_name)  # it left: entered afresh, not resumed
    assert "Welcome back" not in welcome and "Market Street" in welcome


async def test_database_outage_loses_nothing(server_factory) -> None:
    server = await server_factory(save_interval=0.2)
    alice, a_name = await join(server)
    bob, b_name = await join(server)
    url = server.database_url
    await query(url, "ALTER TABLE characters RENAME TO characters_away")
    try:
        await alice.command("north")
        assert "Market Street" in await alice.command("look")  # play goes on
        await bob.command("get sword")
        reply = await bob.quit()
        assert "database is unreachable" in reply
        async with asyncio.timeout(10):
            while "event=flush_failed" not in server.log_text():
                await asyncio.sleep(0.1)
    finally:
        await query(url, "ALTER TABLE characters_away RENAME TO characters")
    await wait_for_rows(url, "SELECT name, current_room_id FROM characters ORDER BY name",
                        expect=lambda r: (a_name.capitalize(), "market_street") in r,
                        timeout=70)
    rows = await query(url, "SELECT c.name FROM character_inventory i"
                            " JOIN characters c ON c.id = i.character_id"
                            " WHERE i.item_id = 'rusty_sword'")
    assert rows == [(b_name.capitalize(),)]


async def test_zero_config_runs_an_embedded_database_that_survives_restarts(
        server_factory, tmp_path) -> None:
    data = tmp_path / "data"
    # `python -m mud serve` run whole, as the README's quick start runs it (not forked)
    server = await server_factory("", redis_url="", forked=False,
                                  extra_env={"MUD_DATA_DIR": str(data)})
    alice, name = await join(server)
    await alice.command("west")
    assert (data / "redis" / "redis.sock").is_socket()  # the embedded Redis, socket only
    assert "[chat] " + name.capitalize() + ": hello" in await alice.command("chat hello")
    assert await server.stop() == 0
    pid_file = data / "postgres" / "postmaster.pid"
    assert (data / "postgres" / "PG_VERSION").exists()
    assert not pid_file.exists(), "the embedded PostgreSQL must stop with the server"
    assert not (data / "redis" / "redis.sock").exists(), "and the embedded Redis too"
    again = await server_factory("", redis_url="", extra_env={"MUD_DATA_DIR": str(data)})
    _, welcome = await rejoin(again, name)
    assert "Temple Walk" in welcome
    assert await again.stop() == 0
