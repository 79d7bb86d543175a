"""Durability: kills at random moments, a database that goes away, failures inside a flush."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
import uuid
from pathlib import Path

import pgserver

from tests.conftest import join, query, rejoin, wait_for_rows

SAVE_INTERVAL = 0.2
COINS = 5
UNLIMITED = {"MUD_INPUT_RATE": "0"}  # the traders send as fast as the server answers


async def trade(a, a_name: str, b, b_name: str) -> None:
    """Pass the sword and coins back and forth as fast as the server answers, forever."""
    while True:
        for giver, receiver in ((a, b_name), (b, a_name)):
            await giver.command(f"give all {receiver}")


async def holdings(url: str) -> tuple[list[tuple], int]:
    swords = await query(url, "SELECT id FROM character_inventory WHERE item_id = 'rusty_sword'")
    coins = await query(url, "SELECT coalesce(sum(quantity), 0) FROM character_inventory"
                             " WHERE item_id = 'copper_coin'")
    return swords, coins[0][0]


def created_ms(row_id: uuid.UUID) -> int:
    """Rows the game creates carry their creation time in the id (mud.game.ids)."""
    return row_id.int >> 80


async def test_kill_during_trading_keeps_every_item_exactly_once(server_factory) -> None:
    rng = random.Random(2026)
    url = None
    names: tuple[str, str] | None = None
    for _round in range(3):
        server = await server_factory(url, save_interval=SAVE_INTERVAL, extra_env=UNLIMITED)
        url = server.database_url
        if names is None:
            (a, a_name), (b, b_name) = await join(server), await join(server)
            await a.command("get all")
            names = (a_name, b_name)
        else:
            a_name, b_name = names
            (a, _), (b, _) = await rejoin(server, a_name), await rejoin(server, b_name)
        trading = asyncio.create_task(trade(a, a_name, b, b_name))
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        killed_ms = time.time_ns() // 1_000_000
        assert await server.stop(signal.SIGKILL) == -signal.SIGKILL
        trading.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError, TimeoutError):
            await asyncio.wait_for(trading, 10)  # a clear failure, never a hang
        swords, coins = await holdings(url)
        assert len(swords) == 1 and coins == COINS, (swords, coins)
        staleness_ms = killed_ms - created_ms(swords[0][0])
        assert staleness_ms <= (SAVE_INTERVAL + 0.3) * 1000, staleness_ms


async def test_database_stopped_for_several_intervals_loses_nothing(server_factory,
                                                                     tmp_path: Path) -> None:
    pgdata = tmp_path / "pg"
    pg = pgserver.get_server(pgdata, cleanup_mode="stop")
    url = pg.get_uri()  # a PostgreSQL of this test's own, to stop and start
    server = await server_factory(url, save_interval=SAVE_INTERVAL, extra_env=UNLIMITED)
    (a, a_name), (b, b_name) = await join(server), await join(server)
    await a.command("get all")
    await wait_for_rows(url, "SELECT count(*) FROM character_inventory",
                        expect=lambda r: r == [(2,)])
    await asyncio.to_thread(pg.cleanup)  # the database server stops
    try:
        # play goes on for several intervals, until the saver has failed at least once
        deadline = time.monotonic() + 8 * SAVE_INTERVAL
        async with asyncio.timeout(20):
            while (time.monotonic() < deadline
                   or "event=flush_failed" not in server.log_text()):
                # the other's gift may arrive just before the reply: wait for the reply itself
                for giver, taker in ((a, b_name), (b, a_name)):
                    await giver.drain()
                    giver.send(f"give all {taker}")
                    assert "You give" in await giver.expect("You give")
        await a.command(f"give all.coin {b_name}")
        assert "Market Street" in await a.command("north")
    finally:
        pg = await asyncio.to_thread(pgserver.get_server, pgdata, "stop")
    rows = await wait_for_rows(
        url, "SELECT c.name, i.item_id, i.quantity FROM character_inventory i"
             " JOIN characters c ON c.id = i.character_id ORDER BY i.item_id",
        expect=lambda r: [x[:2] for x in r] == [(b_name.capitalize(), "copper_coin"),
                                                (a_name.capitalize(), "rusty_sword")],
        timeout=30)
    assert rows[0][2] == COINS
    await wait_for_rows(url, "SELECT current_room_id FROM characters WHERE name = %s",
                        a_name.capitalize(), expect=lambda r: r == [("market_street",)])
    assert await server.stop() == 0
    pg.cleanup()


async def test_a_failure_inside_a_flush_never_leaves_half_a_snapshot(server_factory) -> None:
    server = await server_factory(save_interval=0.05, extra_env=UNLIMITED)
    url = server.database_url
    (a, a_name), (b, b_name) = await join(server), await join(server)
    await a.command("get all")
    await wait_for_rows(url, "SELECT count(*) FROM character_inventory",
                        expect=lambda r: r == [(2,)])
    # from now on half the flushes fail after the character rows were already updated
    await query(url, """
        CREATE FUNCTION flaky() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF random() < 0.5 THEN RAISE EXCEPTION 'disk hiccup'; END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER flaky AFTER INSERT OR UPDATE OR DELETE ON character_inventory
            FOR EACH STATEMENT EXECUTE FUNCTION flaky();""")
    trading = asyncio.create_task(trade(a, a_name, b, b_name))
    try:
        for _ in range(60):  # every state the database shows is one the game had
            swords, coins = await holdings(url)
            assert len(swords) == 1 and coins == COINS, (swords, coins)
            await asyncio.sleep(0.02)
    finally:
        trading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(trading, 10)  # a clear failure, never a hang
        await query(url, "DROP TRIGGER flaky ON character_inventory")
    assert "disk hiccup" in server.log_text()
    a_inventory = await a.command("inventory")
    expected_holder = a_name if "rusty sword" in a_inventory else b_name
    await wait_for_rows(url, "SELECT c.name FROM character_inventory i"
                             " JOIN characters c ON c.id = i.character_id"
                             " WHERE i.item_id = 'rusty_sword'",
                        expect=lambda r: r == [(expected_holder.capitalize(),)], timeout=30)
