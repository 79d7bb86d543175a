"""Gateways and the one world: a server (a gateway running the world as its child) and a second
gateway (`--role gateway`) to that world, sharing one PostgreSQL and one Redis prefix.

Players on either gateway are in the same world: they see each other in `look`, hear `say`,
chat, tell and reply, are listed by `who` and `finger`, fight the same monster and share the same
floor (the shrine's two essences are picked up twice in all, never once per gateway). Failed
logins are counted across the gateways (in Redis); bans, the wizlock (over the Redis bus),
invisibility and building reach the players of every gateway. The character cache serves logins
without reading the character's rows and never serves an edit made outside the game stale.

A gateway killed with SIGKILL leaves its players link-dead in the world, and they log in again
through the other gateway where they were. A world killed with SIGKILL is restarted by its
gateway while every player stays connected, told so, and what they typed meanwhile is answered
once it is back, with their state no older than one save interval. A second world for the same
game is refused at once, naming the holder of the world lease, and the running world holds that
lease again after Redis restarts empty. With Redis away, players on both gateways play on
together. The console's `status` lists both gateways and their connections."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest_asyncio
import redis.asyncio as aioredis

from mud.client import TelnetClient
from mud.cluster.redis import EmbeddedRedis
from mud.net.tls import make_self_signed
from tests.conftest import (
    PASSWORD,
    ServerProcess,
    console_request,
    join,
    query,
    rejoin,
    wait_for_rows,
)

LOST = ("The world has stopped unexpectedly; it is being restarted and you stay connected. "
        "What you type meanwhile waits.")
BACK = "The world is back. Go on where you were."
Start = Callable[..., Awaitable[ServerProcess]]


async def start_pair(server_factory: Start, redis_url: str | None = None,
                     **env: str) -> tuple[ServerProcess, ServerProcess]:
    """A server alpha (its world is alpha-world) and a second gateway beta to its world."""
    own = {"redis_url": redis_url} if redis_url else {}
    first = await server_factory(**own, extra_env={**env, "MUD_PROCESS_ID": "alpha"})
    second = await server_factory(gateway_for=first, **own,
                                  extra_env={**env, "MUD_PROCESS_ID": "beta"})
    return first, second


@pytest_asyncio.fixture
async def pair(server_factory: Start) -> tuple[ServerProcess, ServerProcess]:
    return await start_pair(server_factory)


@pytest_asyncio.fixture
async def own_redis() -> AsyncIterator[EmbeddedRedis]:
    """A Redis of the test's own, to stop and start again (empty). AF_UNIX paths are short:
    its folder is under /tmp."""
    folder = Path(tempfile.mkdtemp(prefix="mudgw", dir="/tmp"))
    redis = EmbeddedRedis(folder / "redis")
    await redis.start()
    yield redis
    await redis.stop()
    shutil.rmtree(folder, ignore_errors=True)


async def redis_get(server: ServerProcess, key: str) -> str | None:
    client = aioredis.from_url(server.redis_url)
    try:
        value = await client.get(f"{server.redis_prefix}:{key}")
    finally:
        await client.aclose()
    return None if value is None else value.decode()


async def eventually(client: TelnetClient, line: str, expect: str, tries: int = 50) -> str:
    """Send line until the reply holds expect (something written in the background)."""
    reply = ""
    for _ in range(tries):
        reply = await client.command(line)
        if expect in reply:
            return reply
        await asyncio.sleep(0.1)
    raise AssertionError(f"{expect!r} never came back from {line!r}; last: {reply!r}")


async def walk(client: TelnetClient, *directions: str) -> str:
    reply = ""
    for direction in directions:
        reply = await client.command(direction)
    return reply


# -- talking across gateways ----------------------------------------------------------------------

async def test_chat_tell_reply_and_who_cross_between_gateways(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_name, bob_name = ann_name.capitalize(), bob_name.capitalize()

    who = await ann.command("who")
    assert ann_name in who and bob_name in who and "2 players online." in who
    assert ann_name in await bob.command("who")

    assert f"[chat] {ann_name}: hello from alpha" in await ann.command("chat hello from alpha")
    assert f"[chat] {ann_name}: hello from alpha" in await bob.read_until("from alpha")

    assert f"You tell {bob_name}, 'psst'" in await ann.command(f"tell {bob_name} psst")
    assert f"{ann_name} tells you, 'psst'" in await bob.read_until("psst'")
    assert f"You tell {ann_name}, 'hi back'" in await bob.command("reply hi back")
    assert f"{bob_name} tells you, 'hi back'" in await ann.read_until("hi back'")

    # the history is PostgreSQL's, written within a second
    await eventually(bob, "chat", f"[chat] {ann_name}: hello from alpha")
    assert "The chat channel is off." in await bob.command("channels off chat")
    await ann.command("chat nobody hears this on beta")
    # one world keeps ann's order: had the chat reached bob, it would come before this line
    await ann.command("ooc after the chat")
    assert "nobody hears" not in await bob.read_until(r"\[ooc\] \w+: after the chat")
    assert "No one called 'Nobodyhere' is playing." in await ann.command("tell Nobodyhere hi")


async def test_players_on_two_gateways_see_and_hear_each_other_and_fight_one_monster(
        server_factory) -> None:
    """Both walk to the inn cellar (three cellar rats), see each other, talk, and attack the
    same rat: each sees the other's attack and the rat's death, and one rat is gone."""
    first, second = await start_pair(server_factory, MUD_TICK_INTERVAL="0.3")
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_name, bob_name = ann_name.capitalize(), bob_name.capitalize()
    for client in (ann, bob):
        assert "Inn Cellar" in await walk(client, "north", "west", "down")
    ann_look = await ann.command("look")
    assert f"{bob_name} is here." in ann_look and "Three cellar rats are here." in ann_look
    assert f"{ann_name} is here." in await bob.command("look")
    await ann.command("say two doors, one world")
    assert f"{ann_name} says, 'two doors, one world'" in await bob.read_until("one world'")

    heard = {ann: "", bob: ""}  # all each was sent from here on

    async def do(client: TelnetClient, line: str) -> str:
        heard[client] += await client.drain()
        client.send(line)
        reply = await client.read_prompt()
        heard[client] += reply
        return reply

    assert "You attack a cellar rat!" in await do(ann, "kill rat")
    assert "You attack a cellar rat!" in await do(bob, "kill rat")
    # the rat both attacked is the one that fights, and it goes for ann, who attacked first
    fights = re.findall(r"A cellar rat is here, fighting (\w+)\.", await do(bob, "look"))
    for client in (ann, bob):
        if "A cellar rat is dead!" not in heard[client]:
            heard[client] += await client.read_until("A cellar rat is dead!")
        heard[client] += await client.drain()
    assert fights in ([ann_name], []), fights  # [] only if it had died already
    assert f"{bob_name} attacks a cellar rat!" in heard[ann]
    assert f"{ann_name} attacks a cellar rat!" in heard[bob]
    # each is told the other's blows (the rat lasts a few rounds: about 4 a blow, 16 health)
    assert re.search(rf"{bob_name} (hits|misses) a cellar rat\.", heard[ann]), heard[ann]
    assert re.search(rf"{ann_name} (hits|misses) a cellar rat\.", heard[bob]), heard[bob]
    for client, other in ((ann, bob_name), (bob, ann_name)):
        look = await client.command("look")
        assert "Two cellar rats are here." in look and "fighting" not in look, look
        assert f"{other} is here." in look
    assert "event=monster_killed monster=cellar_rat room=inn_cellar" in first.log_text()


async def test_the_shrines_two_essences_are_picked_up_twice_in_all(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    for client in (ann, bob):
        shrine = await walk(client, "west", "west")
        assert "An ember essence lies here." in shrine and "A tide essence lies here." in shrine
    await ann.drain()
    await bob.drain()
    # both at once: one world serves the two lines one after the other
    ann.send("get all")
    bob.send("get all")
    replies = [await ann.read_prompt(), await bob.read_prompt()]
    again = [await ann.command("get essence"), await bob.command("get essence")]
    got = [kind for reply in replies + again
           for kind in re.findall(r"You pick up an? (\w+) essence\.", reply)]
    assert sorted(got) == ["ember", "tide"], (replies, again)
    for client in (ann, bob):
        assert not re.search(r"essences? lies? here", await client.command("look"))
    assert "has been saved" in await ann.quit()
    assert "has been saved" in await bob.quit()
    rows = await query(first.database_url,
                       "SELECT c.name, i.item_id, i.quantity FROM character_inventory i"
                       " JOIN characters c ON c.id = i.character_id"
                       " WHERE i.item_id LIKE '%%essence' ORDER BY i.item_id")
    assert sorted((item, quantity) for _, item, quantity in rows) == [
        ("ember_essence", 1), ("tide_essence", 1)], rows
    assert {name for name, _, _ in rows} <= {ann_name.capitalize(), bob_name.capitalize()}


async def test_finger_finds_characters_on_the_other_gateway_and_offline(pair) -> None:
    first, second = pair
    ann, _ = await join(first)
    bob, bob_name = await join(second)
    assert f"{bob_name.capitalize()}, normal rank, is playing now." in await ann.command(
        f"finger {bob_name}")
    await bob.quit()
    assert re.search(rf"{bob_name.capitalize()}, normal rank, is not playing now\. Last seen "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\. Essences: none\.",
                     await ann.command(f"finger {bob_name}"))
    assert "There is no character called 'Nobodyatall'." in await ann.command(
        "finger Nobodyatall")


# -- logins ---------------------------------------------------------------------------------------

async def test_failed_logins_count_across_gateways(server_factory) -> None:
    first, second = await start_pair(server_factory, MUD_LOGIN_FAIL_DELAY="0.01",
                                     MUD_LOGIN_LOCKOUT="30")
    owner, name = await join(first)
    await owner.quit()
    for attempt in range(5):  # three failures on alpha, two on beta
        client = await (first if attempt < 3 else second).client()
        await client.read_until("Username: ")
        client.send(f"connect {name} wrong-{attempt}-password")
        await client.read_until("Wrong password.")
        await client.close()
    locked = await first.client()
    await locked.read_until("Username: ")
    locked.send(f"connect {name} {PASSWORD}")
    assert "Too many failed logins" in await locked.read_closed()


async def test_a_cached_character_logs_in_without_reading_its_rows(pair) -> None:
    first, second = pair
    ann, name = await join(first)
    await ann.command("north")
    await ann.quit()  # saved, then cached
    # while another session holds every character table, a login that read them would wait
    async with await psycopg.AsyncConnection.connect(first.database_url) as blocker:
        await blocker.execute("LOCK TABLE character_inventory, character_essences,"
                              " character_abilities, character_quests, character_skills"
                              " IN ACCESS EXCLUSIVE MODE")
        _, welcome = await asyncio.wait_for(rejoin(second, name), 5)
        await blocker.rollback()
    assert "Market Street" in welcome
    assert "source=cache" in first.log_text().rsplit("event=character_loaded", 1)[-1]


async def test_an_offline_edit_is_never_served_stale_from_the_cache(pair) -> None:
    first, second = pair
    ann, name = await join(second)
    await ann.command("north")
    await ann.quit()  # cached with Market Street
    [(character_id,)] = await query(first.database_url,
                                    "SELECT id FROM characters WHERE name = %s",
                                    name.capitalize())
    key = f"{first.redis_prefix}:character:{character_id}"
    redis = aioredis.from_url(first.redis_url)
    try:
        assert await redis.exists(key)  # cached on the way out
        await query(first.database_url, "UPDATE characters SET current_room_id ="
                    " 'temple_walk' WHERE name = %s", name.capitalize())
        async with asyncio.timeout(5):  # the change notice reaches the world, which drops it
            while await redis.exists(key):
                await asyncio.sleep(0.02)
    finally:
        await redis.aclose()
    _, welcome = await rejoin(second, name)
    assert "Temple Walk" in welcome
    assert "source=database" in first.log_text().rsplit("event=character_loaded", 1)[-1]


# -- staff ----------------------------------------------------------------------------------------

async def test_bans_wizlock_invisibility_and_building_reach_every_gateway(pair) -> None:
    first, second = pair
    wizard, wizard_name = await join(first)
    await wizard.quit()
    await query(first.database_url, "UPDATE players SET role = 'admin' WHERE username = %s",
                wizard_name)
    wizard, _ = await rejoin(first, wizard_name)
    bob, bob_name = await join(second)
    assert wizard_name.capitalize() in await bob.command("who")
    await wizard.command("invis")
    assert "1 player online." in await bob.command("who")
    assert wizard_name.capitalize() not in await bob.command("look")
    wizard.send(f"ban account {bob_name}")
    await wizard.read_until(r"closed\.")
    assert "You have been banned" in await bob.read_closed()
    banned = await second.client()  # beta refuses the login too
    await banned.read_until("Username: ")
    banned.send(f"connect {bob_name} {PASSWORD}")
    assert "banned" in await banned.read_closed()
    await wizard.command(f"unban account {bob_name}")
    assert "only wizards and admins may log in" in await wizard.command("wizlock on")
    for _ in range(50):  # beta hears of the lock over the Redis bus
        refused = await second.client()
        await refused.read_until("Username: ")
        refused.send(f"connect {bob_name} {PASSWORD}")
        if "closed to players" in await refused.read_until("closed to players|> "):
            break
        await refused.close()
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the wizlock never reached the other gateway")
    await wizard.command("wizlock off")
    assert "You dig up and make Lookout Post" in await wizard.command("dig up Lookout Post")
    bob, _ = await rejoin(second, bob_name)
    assert "Lookout Post" in await bob.command("up")


# -- a gateway or the world killed ----------------------------------------------------------------

async def test_a_killed_gateways_player_goes_link_dead_and_comes_back_through_the_other(
        pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_name, bob_name = ann_name.capitalize(), bob_name.capitalize()
    await walk(ann, "north")
    await walk(bob, "north")  # in memory only, maybe: what bob comes back to is the live copy
    assert f"{bob_name} is here." in await ann.command("look")

    os.kill(second.proc.pid, signal.SIGKILL)
    assert await second.proc.wait() == -signal.SIGKILL
    await bob.read_closed()
    assert f"{bob_name} has lost their link." in await ann.read_until(r"lost their link\.")
    assert f"{bob_name} is here (link-dead)." in await ann.command("look")

    again, welcome = await rejoin(first, bob_name)  # bob, now through alpha
    assert f"Welcome back, {bob_name}. You take up where you left off." in welcome
    assert "Market Street" in welcome and f"{ann_name} is here." in welcome
    assert f"{bob_name} has reconnected." in await ann.read_until(r"has reconnected\.")
    look = await ann.command("look")
    assert f"{bob_name} is here." in look and "link-dead" not in look
    await ann.command("say welcome back")
    assert f"{ann_name} says, 'welcome back'" in await again.read_until("welcome back'")


async def test_a_killed_world_is_restarted_and_its_players_stay_connected(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    assert "Market Street" in await ann.command("north")
    assert "Smithy Lane" in await bob.command("east")
    for name, room in ((ann_name, "market_street"), (bob_name, "smithy_lane")):
        await wait_for_rows(first.database_url,
                            "SELECT current_room_id FROM characters WHERE name = %s",
                            name.capitalize(), expect=lambda r, room=room: r == [(room,)])
    [world] = first.world_pids()
    killed = time.monotonic()
    os.kill(world, signal.SIGKILL)
    for client in (ann, bob):
        assert LOST in await client.read_until(re.escape(LOST))
    # typed while the world is down (the gateway starts it again 3 s after a failure)
    ann.send("look")
    bob.send("say still here")
    for client in (ann, bob):  # a crash is told once: no word of a world that cannot start
        assert "could not start" not in await client.read_until(re.escape(BACK), timeout=20)
    down = time.monotonic() - killed
    assert "Market Street" in await ann.read_until(r"\[Exits:")  # ann's look, answered now
    assert "You say, 'still here'" in await bob.read_until("still here'")
    [again] = first.world_pids()
    assert again != world
    assert "Smithy Lane" in await bob.command("look")
    assert "Market Street" in await ann.command("look")
    assert down < 10, f"the world was away {down:.1f} s"
    assert "event=world_exited code=-9" in first.log_text()


# -- one world per game ---------------------------------------------------------------------------

async def refused_world(server: ServerProcess, log: Path) -> tuple[int, str, float]:
    """Start `mud serve --role world` (run whole, as an operator runs it) on server's database
    and Redis prefix: its exit code, all it wrote and the seconds it took to end. A world that
    starts, or is still waiting after 15 s, fails the test."""
    rival = ServerProcess(server.database_url, log, redis_url=server.redis_url,
                          redis_prefix=server.redis_prefix, forked=False,
                          extra_env={"MUD_ROLE": "world", "MUD_PROCESS_ID": "rival"})
    started = time.monotonic()
    try:
        await asyncio.wait_for(rival.start(), 15)
    except RuntimeError:  # it ended without saying where it listens: refused, we expect
        pass
    except TimeoutError as exc:
        raise AssertionError(f"a second world was not refused within 15 s: {log}") from exc
    finally:
        assert rival.proc is not None
        if rival.proc.returncode is None:  # it started, or hangs: either is the failure
            rival.proc.kill()
            await rival.proc.wait()
    code = await rival.proc.wait()
    took = time.monotonic() - started
    said = await asyncio.to_thread(lambda: log.with_suffix(".out").read_text()
                                   + log.read_text())
    return code, said, took


async def test_a_gateway_on_another_machine_links_over_tls(server_factory, tmp_path: Path
                                                        ) -> None:
    cert, key = tmp_path / "link.pem", tmp_path / "link.key"
    await make_self_signed(cert, key)  # names 127.0.0.1
    link = {"MUD_LINK_SECRET": "s3cret", "MUD_LINK_TLS_CERT": str(cert)}
    first = await server_factory(extra_env={**link, "MUD_LINK_PORT": "0",
                                            "MUD_LINK_TLS_KEY": str(key)})
    port = re.search(r"event=link_listening host=\S+ port=(\d+) tls=True", first.log_text())
    assert port is not None, first.log_text()
    second = await server_factory(gateway_for=first, extra_env={
        **link, "MUD_WORLD_ADDRESS": f"127.0.0.1:{port[1]}"})
    ann, _ = await join(first)
    bob, bob_name = await join(second)
    assert f"{bob_name.capitalize()} is here." in await ann.command("look")
    await bob.command("say over tls")
    assert f"{bob_name.capitalize()} says, 'over tls'" in await ann.read_until("over tls'")
    assert "event=link_tls_failed" not in second.log_text()


async def test_a_second_world_is_refused_also_after_redis_restarts(server_factory, own_redis,
                                                                   tmp_path: Path) -> None:
    first, second = await start_pair(server_factory, own_redis.url)
    ann, _ = await join(first)
    bob, bob_name = await join(second)
    holder = await redis_get(first, "world")
    assert holder is not None and holder.startswith("alpha-world@"), holder

    code, said, took = await refused_world(first, tmp_path / "rival1.log")
    assert code == 1, said
    assert "another world holds this game" in said and repr(holder) in said, said
    assert took < 10, f"refusing took {took:.1f} s"

    await own_redis.stop()
    await own_redis.start()  # empty: the world takes its lease back as soon as it sees Redis
    async with asyncio.timeout(5):
        while await redis_get(first, "world") != holder:
            await asyncio.sleep(0.05)
    code, said, _ = await refused_world(first, tmp_path / "rival2.log")
    assert code == 1 and repr(holder) in said, said
    assert await redis_get(first, "world") == holder
    await ann.command(f"tell {bob_name} still one world")
    assert "still one world" in await bob.read_until("still one world'")


async def test_redis_away_and_back_players_on_both_gateways_play_on_together(
        server_factory, own_redis) -> None:
    first, second = await start_pair(server_factory, own_redis.url)
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    ann_name, bob_name = ann_name.capitalize(), bob_name.capitalize()

    await own_redis.stop()
    # one world: everyone still sees, hears and lists everyone, and the game saves
    assert "normal rank" in await ann.command("score")
    assert f"{bob_name} is here." in await ann.command("look")
    assert f"{ann_name} is here." in await bob.command("look")
    reply = await ann.command("chat anyone there")
    # the whole reply: the line itself, no word of other servers (everyone heard it)
    assert reply.strip().splitlines()[:-1] == [f"[chat] {ann_name}: anyone there"], reply
    assert f"[chat] {ann_name}: anyone there" in await bob.read_until("anyone there")
    await bob.command("say right here")
    assert f"{bob_name} says, 'right here'" in await ann.read_until("right here'")
    who = await bob.command("who")
    assert ann_name in who and bob_name in who and "2 players online." in who, who
    assert "reached" not in who, who
    assert "Market Street" in await ann.command("north")
    await wait_for_rows(first.database_url,
                        "SELECT current_room_id FROM characters WHERE name = %s", ann_name,
                        expect=lambda r: r == [("market_street",)])
    walked = await bob.command("north")
    assert "Market Street" in walked and f"{ann_name} is here." in walked, walked
    # what keeps players out reaches the other gateway over its link, Redis or not
    assert (await console_request(first, "wizlock on"))["data"] == {"locked": True}
    await bob.quit()
    locked = await second.client()
    await locked.read_until("Username: ")
    locked.send(f"connect {bob_name} {PASSWORD}")
    assert "closed to players for maintenance" in await locked.read_closed()
    assert (await console_request(first, "wizlock off"))["data"] == {"locked": False}
    bob, _ = await rejoin(second, bob_name)

    await own_redis.start()
    await ann.command("chat are you back")
    assert f"[chat] {ann_name}: are you back" in await bob.read_until("are you back")
    assert "2 players online." in await ann.command("who")


# -- the operator console -------------------------------------------------------------------------

async def console_json(socket: Path, line: str) -> dict[str, Any]:
    """`mud console -c line --json` on socket: its reply."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "console", "--console-socket", str(socket), "-c", line,
        "--json", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, (proc.returncode, out, err)
    return json.loads(out)


def gateway_rows(reply: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Each gateway's (players, connections), by the process it names."""
    return {row["gateway"].partition(":")[0]: (row["players"], row.get("connections"))
            for row in reply["data"]["gateways"]}


async def test_console_status_lists_both_gateways_with_their_connections(pair) -> None:
    first, second = pair
    ann, ann_name = await join(first)
    bob, bob_name = await join(second)
    carol, _ = await join(second)
    logging_in = await second.client()
    await logging_in.read_until("Username: ")
    clients = [ann, bob, carol, logging_in]  # kept open: a client let go is closed
    expected = {"alpha": (1, 1), "beta": (2, 3)}  # playing; connections (one logging in)
    async with asyncio.timeout(6):  # a gateway sends its figures every 2 s
        while gateway_rows(await console_request(first, "status")) != expected:
            await asyncio.sleep(0.2)

    status = await console_json(first.console_socket, "status")
    assert status["ok"] and gateway_rows(status) == expected, status
    assert status["data"]["players"] == 3 and status["data"]["process"] == "alpha-world"
    lines = [line for line in status["text"].splitlines() if line.startswith("gateway")]
    assert len(lines) == 2, status["text"]
    assert re.search(r"alpha:\S*: 1 playing, 1 connection\(s\)", lines[0]), lines
    assert re.search(r"beta:\S*: 2 playing, 3 connection\(s\)", lines[1]), lines
    sessions = (await console_json(first.console_socket, "sessions"))["data"]["sessions"]
    where = {row["character"]: row["gateway"].partition(":")[0] for row in sessions}
    assert where[ann_name.capitalize()] == "alpha" and where[bob_name.capitalize()] == "beta"
    for client in clients:
        await client.close()
