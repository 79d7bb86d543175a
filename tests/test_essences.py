"""Essences end to end: bonding over telnet as the database commits it, confluences, the
four-essence limit, abilities and ranks as saved, restarts, and a bond whose database
connection dies. The bond's question, abilities' rules, resting and regeneration are tested in
memory (tests/test_cmd_essences.py)."""

from __future__ import annotations

import asyncio

import psycopg

from mud.client import TelnetClient
from tests.conftest import (
    ServerProcess,
    cached_copy_dropped,
    carrying,
    join,
    query,
    rejoin,
    wait_for_rows,
)


async def bond(client: TelnetClient, what: str, attribute: str) -> str:
    question = await client.command(f"bond {what} to {attribute}")
    assert "cannot be undone" in question, question
    return await client.command("yes")


async def essences_in_db(server: ServerProcess, name: str) -> list[tuple]:
    return await query(server.database_url,
                       "SELECT e.essence_type, e.attribute_bound, e.rank_bonded,"
                       " (SELECT count(*) FROM character_abilities a WHERE a.essence_id = e.id)"
                       " FROM character_essences e JOIN characters c ON c.id = e.character_id"
                       " WHERE c.name = %s ORDER BY e.id", name.capitalize())


def attribute_line(score: str, attribute: str) -> str:
    return next(line.strip() for line in score.splitlines()
                if line.strip().startswith(attribute.capitalize()))


async def test_find_bond_and_keep_essences_through_a_restart(server_factory) -> None:
    server = await server_factory()
    client, name = await join(server)
    await client.command("west")
    assert "An ember essence lies here." in await client.command("west")
    assert "You pick up an ember essence." in await client.command("get ember")

    reply = await bond(client, "ember", "power")
    assert "You bond the ember essence to power" in reply
    assert "Power +6 (now 16)" in reply
    # told only after the commit: the database has it already, without waiting for the saver
    assert await essences_in_db(server, name) == [("ember", "power", "normal", 5)]
    assert await query(server.database_url,
                       "SELECT c.power, count(i.id) FROM characters c LEFT JOIN"
                       " character_inventory i ON i.character_id = c.id WHERE c.name = %s"
                       " GROUP BY c.power", name.capitalize()) == [(16, 0)]
    score = await client.command("score")
    assert attribute_line(score, "power") == "Power       16   (essences +6)"
    assert "Health 100/160" in score
    assert "Essences 1/4: ember (power)" in score
    listing = await client.command("abilities")
    assert "Ember essence (bound to power):" in listing
    assert listing.count("ready") == 2 and "asleep until iron" in listing

    await client.command("get tide")
    await bond(client, "tide", "recovery")
    await client.quit()
    await query(server.database_url,
                "INSERT INTO character_inventory (character_id, item_id) SELECT id, unnest("
                "ARRAY['moon_essence', 'stone_essence']) FROM characters WHERE name = %s",
                name.capitalize())
    await cached_copy_dropped(server, name)
    client, _ = await rejoin(server, name)

    reply = await bond(client, "moon", "spirit")
    assert "the accord confluence essence forms" in reply  # ember, tide, moon: no recipe
    assert [row[0] for row in await essences_in_db(server, name)] == [
        "ember", "tide", "moon", "accord"]
    assert "Essences 4/4" in await client.command("score")

    refused = await client.command("bond stone to power")
    assert "four bonded essences" in refused and "Nothing has changed" in refused
    assert "stone essence" in await client.command("inventory")
    assert len(await essences_in_db(server, name)) == 4
    assert "code=MAX_ESSENCES_REACHED" in server.log_text()

    before = await client.command("score")
    assert await server.stop() == 0
    again = await server_factory(server.database_url)
    client, _ = await rejoin(again, name)
    assert await client.command("score") == before
    listing = await client.command("abilities")
    assert all(f"{e} essence" in listing for e in ("Ember", "Tide", "Moon", "Accord"))


async def test_bad_bond_requests_are_explained(server) -> None:
    client, _ = await carrying(server, "rusty_sword", "wasp_essence", "wasp_essence")
    assert "Usage: bond" in await client.command("bond")
    assert "is not an attribute" in await client.command("bond wasp to luck")
    assert "not carrying any 'feather'" in await client.command("bond feather to power")
    assert "is not an essence" in await client.command("bond sword to power")
    assert "You bond the wasp essence to speed" in await bond(client, "wasp", "speed")
    again = await client.command("bond wasp to power")
    assert "You have already bonded the wasp essence" in again and "Nothing has changed" in again
    assert "a wasp essence" in await client.command("inventory")
    assert "code=ESSENCE_ALREADY_BONDED" in server.log_text()


async def test_a_character_gone_from_the_database_cannot_bond(server_factory) -> None:
    server = await server_factory()
    client, name = await join(server)
    for step in ("west", "west", "get ember"):
        await client.command(step)
    await query(server.database_url, "DELETE FROM characters WHERE name = %s",
                name.capitalize())
    assert "cannot be undone" in await client.command("bond ember to power")
    reply = await client.command("yes")
    assert "could not be found in the records" in reply and "Nothing has changed" in reply
    assert "code=CHARACTER_NOT_FOUND" in server.log_text()
    assert "an ember essence" in await client.command("inventory")


async def test_use_spends_cools_down_and_remembers(server) -> None:
    client, name = await carrying(server, "stone_essence")
    await bond(client, "stone", "power")
    # Bedrock Stance: a stone buff of power +3 for a while, 10 stamina, a 12-second cooldown
    reply = await client.command("use bedrock")
    assert "You use Bedrock Stance: power +3" in reply
    score = await client.command("score")
    assert "Stamina 90/100" in score
    assert attribute_line(score, "power") == "Power       19   (essences +6, buffs +3)"
    assert "Bedrock Stance is not ready yet" in await client.command("use bedrock stance")
    assert "progress 0/20" in await client.command("abilities")  # a buff out of a fight

    await client.quit()
    meta = await query(server.database_url,
                       "SELECT a.metadata FROM character_abilities a JOIN characters c"
                       " ON c.id = a.character_id WHERE c.name = %s"
                       " AND a.ability_name = 'Bedrock Stance'", name.capitalize())
    assert "progress" not in meta[0][0] and "ready_at" in meta[0][0]
    client, _ = await rejoin(server, name)
    line = next(x for x in (await client.command("abilities")).splitlines()
                if "Bedrock Stance" in x)
    assert "ready in" in line and "progress 0/20" in line
    assert "buffs +3" in await client.command("score")  # the buff outlives the reconnect
    assert "no ability or item called 'juggle'" in await client.command("use juggle")


async def test_rank_up_reaches_player_and_room(server) -> None:
    client, name = await carrying(server, "tusk_essence")
    await bond(client, "tusk", "power")  # health 100 of a new maximum of 160: a heal teaches
    await client.quit()
    # Gore Rush has reached iron already; Stubborn Snort is one use short of it
    await query(server.database_url,
                "UPDATE character_abilities a SET current_rank = CASE a.ability_name"
                " WHEN 'Gore Rush' THEN 'iron' ELSE a.current_rank END,"
                " metadata = CASE a.ability_name WHEN 'Stubborn Snort'"
                " THEN '{\"progress\": 19}'::jsonb ELSE a.metadata END"
                " FROM characters c WHERE c.id = a.character_id AND c.name = %s",
                name.capitalize())
    client, _ = await rejoin(server, name)
    watcher, _ = await join(server)
    reply = await client.command("use snort")
    assert "Your Stubborn Snort rises to iron rank!" in reply
    assert "you have risen to iron rank!" in reply
    assert "Awakened: Rooting Tear." in reply  # tusk's iron ability
    assert f"{name.capitalize()} has risen to iron rank!" in await watcher.read_until("rank!")
    assert "iron rank" in await client.command("score")
    await wait_for_rows(server.database_url, "SELECT rank FROM characters WHERE name = %s",
                        name.capitalize(), expect=lambda rows: rows == [("iron",)])


async def test_a_bond_whose_database_connection_dies_changes_nothing(server_factory) -> None:
    server = await server_factory()
    client, name = await join(server)
    await client.command("west")
    await client.command("west")
    await client.command("get ember")
    await wait_for_rows(server.database_url,
                        "SELECT i.item_id FROM character_inventory i JOIN characters c"
                        " ON c.id = i.character_id WHERE c.name = %s", name.capitalize(),
                        expect=lambda rows: rows == [("ember_essence",)])
    connect = psycopg.AsyncConnection.connect
    async with await connect(server.database_url) as blocker, \
            await connect(server.database_url, autocommit=True) as watcher:
        # the bond writes the essence, then waits on this lock to write its abilities
        await blocker.execute("LOCK TABLE character_abilities IN SHARE MODE")
        assert "cannot be undone" in await client.command("bond ember to power")
        client.send("yes")
        async with asyncio.timeout(4):
            while True:
                cur = await watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query ILIKE '%%character_abilities%%'")
                waiting = await cur.fetchall()
                if waiting:
                    break
                await asyncio.sleep(0.02)
        await watcher.execute("SELECT pg_terminate_backend(%s)", (waiting[0][0],))
        await blocker.rollback()
    reply = await client.read_until("> ")
    assert "could not be saved" in reply and "Nothing has changed" in reply
    assert "code=DATABASE_ERROR" in server.log_text()

    assert await essences_in_db(server, name) == []
    assert await query(server.database_url,
                       "SELECT count(*) FROM character_abilities a JOIN characters c"
                       " ON c.id = a.character_id WHERE c.name = %s", name.capitalize()) == [(0,)]
    assert "an ember essence" in await client.command("inventory")
    assert attribute_line(await client.command("score"), "power") == "Power       10"
    assert "no abilities yet" in await client.command("abilities")
    await asyncio.sleep(0.5)  # a saver flush or two later, the database still agrees
    assert await essences_in_db(server, name) == []
    assert await query(server.database_url,
                       "SELECT c.power, i.item_id FROM characters c JOIN character_inventory i"
                       " ON i.character_id = c.id WHERE c.name = %s",
                       name.capitalize()) == [(10, "ember_essence")]

    # the server has recovered: the same bond now goes through
    assert "You bond the ember essence" in await bond(client, "ember", "power")
    assert len(await essences_in_db(server, name)) == 1
