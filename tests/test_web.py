"""The web listener over real sockets: the client's files, the game over a WebSocket (the same
login, limits and bans as telnet), resuming after a dropped socket, /health and /metrics. The
browser itself is driven in test_browser.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from mud.gateway.web import client_host, trusted_proxies
from mud.monitor import rss_kib
from mud.net.connection import MAX_LINE_BYTES
from mud.net.websocket import MAX_FRAME
from mud.webclient import WebClient
from tests.conftest import PASSWORD, ServerProcess, console_request, free_port, join, new_name


@pytest_asyncio.fixture(scope="module")
async def web(make_database, tmp_path_factory, redis_url) -> AsyncIterator[ServerProcess]:
    """A server with a web listener that trusts 127.0.0.1 as a reverse proxy, so tests can
    speak as clients at other addresses (X-Forwarded-For), two connections each at most."""
    server = await ServerProcess(
        make_database(), tmp_path_factory.mktemp("web") / "server.log", redis_url=redis_url,
        extra_env={"MUD_WEB_PORT": str(free_port()), "MUD_WEB_TRUSTED_PROXIES": "127.0.0.1",
                   "MUD_MAX_CONNECTIONS_PER_ADDRESS": "2"}).start()
    yield server
    await server.stop()


_addresses = iter(range(1, 250))


def from_elsewhere() -> dict[str, str]:
    """Headers of a reverse proxy passing on a client at an address no other test uses."""
    return {"X-Forwarded-For": f"198.51.100.{next(_addresses)}"}


async def web_player(server: ServerProcess, **hello: object) -> tuple[WebClient, str]:
    name = new_name()
    client = await server.web_client(hello, from_elsewhere())
    await client.create(name, PASSWORD, f"{name}@example.com")
    return client, name


async def get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.text()


async def test_the_page_and_its_files_are_served_under_a_strict_policy(web) -> None:
    status, headers, page = await get(web.web_url)
    assert status == 200 and "client.js" in page and "<title>Greywater</title>" in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, script = await get(web.web_url + "client.js")
    assert status == 200 and "javascript" in headers["Content-Type"] and "WebSocket" in script
    assert (await get(web.web_url + "nothing-here.js"))[0] == 404
    assert (await get(web.web_url + "..%2fpyproject.toml"))[0] == 404
    status, _, text = await get(web.web_url + "ws")  # a plain GET, not an upgrade
    assert status == 400 and "client is at /" in text


async def test_a_web_player_logs_in_question_by_question_as_on_telnet(web) -> None:
    name = new_name()
    client = await web.web_client({"width": 60}, from_elsewhere())
    try:
        banner = await client.read_until("Username: ")
        assert "a MUD of essences and ranks" in banner  # the art: no screen reader said
        await client.send(name)
        await client.read_until(r"Create it\? \(yes/no\) ")
        await client.send("yes")
        await client.read_until("Choose a password: ")
        assert client.echo_off  # the field is masked for the password
        await client.send(PASSWORD)
        await client.read_until("Repeat the password: ")
        await client.send(PASSWORD)
        await client.read_until("Email address: ")
        assert not client.echo_off and client.echo_changes == [False, True, False, True]
        await client.send(f"{name}@example.com")
        await client.read_until("Character name: ")
        await client.send(name)
        welcome = await client.read_prompt()
        client.in_game = True
        assert f"Welcome, {name.capitalize()}." in welcome
        assert client.resume  # a token to play on with after a drop
        assert all(len(line) <= 60 for line in welcome.splitlines())  # wrapped to its width
        # colour comes as runs the client draws; the exits line is green
        assert any(run[0].startswith("[Exits:") and run[1] == "green" for run in client.runs)
        await client.send_message("gmcp", "Core.Supports.Set", ["Char 1", "Room 1"])
        reply = await client.command("north")
        assert "Market Street" in reply
        await client.wait_for(lambda: any(info.get("name") == "Market Street"
                                          for info in client.gmcp_of("Room.Info")))
        assert client.gmcp_of("Char.Vitals")[-1]["maxhp"] == 100
    finally:
        await client.close()


async def test_a_screen_reader_hello_gets_no_banner_art(web) -> None:
    client = await web.web_client({"screen_reader": True}, from_elsewhere())
    try:
        greeting = await client.read_until("Username: ")
        assert "Enter your username" in greeting
        assert "a MUD of essences and ranks" not in greeting
    finally:
        await client.close()


async def test_web_and_telnet_players_hear_each_other(web) -> None:
    webber, web_name = await web_player(web)
    telnet, telnet_name = await join(web)
    try:
        await telnet.drain()
        await webber.command("say hello from the browser")
        await telnet.expect(f"{web_name.capitalize()} says, 'hello from the browser'")
        await telnet.command("say and hello from telnet")
        await webber.expect(f"{telnet_name.capitalize()} says, 'and hello from telnet'")
    finally:
        await webber.close()
        await telnet.close()


async def test_a_dropped_socket_resumes_the_link_dead_character(web) -> None:
    client, name = await web_player(web)
    bystander, _ = await join(web)
    try:
        await client.command("north")
        await bystander.command("north")
        token = client.resume
        await client.drop()  # no close handshake: a lost network
        await bystander.expect(rf"{name.capitalize()} is here \(link-dead\)|"
                               rf"{name.capitalize()} has lost (their|the) link", timeout=10)
        again = await web.web_client({"resume": token}, from_elsewhere())
        welcome = await again.read_prompt()
        again.in_game = True
        assert "Username: " not in welcome and "Welcome back" in welcome
        assert "Market Street" in welcome
        assert again.resume and again.resume != token  # the next token; this one is spent
        spent = await web.web_client({"resume": token}, from_elsewhere())
        assert "Your earlier session has ended" in await spent.read_until("Username: ")
        await spent.close()
        latest = again.resume
        await again.quit()
        assert again.close_code == 1000  # over: the client stays closed
        void = await web.web_client({"resume": latest}, from_elsewhere())
        assert "Your earlier session has ended" in await void.read_until("Username: ")
        await void.close()
    finally:
        await client.close()
        await bystander.close()


async def test_bad_frames_are_refused_and_change_nothing(web) -> None:
    client, _ = await web_player(web)
    try:
        await client.send_raw(b"\x00\x01binary")
        assert "Binary messages are not accepted" in await client.read_until("accepted.*\n")
        for frame in ("not json", "{}", "[]", '[1, 2]', '["input"]', '["teleport", "x"]'):
            await client.send_raw(frame)
            assert "not understood" in await client.read_until("understood.*\n")
        await client.send("say " + "x" * MAX_LINE_BYTES)
        assert f"too long (over {MAX_LINE_BYTES} bytes)" in await client.read_prompt()
        await client.send("say caf\u00e9 \x1b[31mred\x07")  # controls are dropped, text kept
        assert "You say, 'caf\u00e9 [31mred'" in await client.read_prompt()
        # GMCP over 8 KiB is dropped unread, as over telnet: no Room package taken from it
        await client.send_message("gmcp", "Core.Supports.Set", ["Room 1", "x" * 9000])
        assert "Market Street" in await client.command("north")
        assert not client.gmcp_of("Room.Info")
        await client.send_message("gmcp", "Core.Supports.Set", ["Room 1"])
        assert "Village Square" in await client.command("south")
        await client.wait_for(lambda: bool(client.gmcp_of("Room.Info")))
    finally:
        await client.close()


async def test_a_frame_over_the_limit_closes_the_socket(web) -> None:
    client = await web.web_client({}, from_elsewhere())
    try:
        await client.read_until("Username: ")
        await client.send("x" * (MAX_FRAME + 10))
        await client.read_closed()
        assert client.close_code == 1009
    finally:
        await client.close()


async def test_a_flood_of_lines_is_warned_then_cut_off(web) -> None:
    flooder, name = await web_player(web)
    bystander, _ = await join(web)
    try:
        for _ in range(400):
            await flooder.send("score")
        text = await flooder.read_closed(timeout=20)
        assert "You are sending too fast" in text
        assert text.rstrip().endswith("Input flood. Disconnecting.")
        assert f"{name.capitalize()} is here (link-dead)." in await bystander.command("look")
    finally:
        await flooder.close()
        await bystander.close()


async def test_a_flood_of_bytes_is_discarded_unread(web) -> None:
    client, _ = await web_player(web)
    try:
        big = '["input", "' + "x" * (MAX_FRAME - 100) + '"]'
        for _ in range(6):  # past the burst of 256 KiB
            await client.send_raw(big)
        assert "Input flood: what you send is being discarded" in \
            await client.read_until("Slow down.")
        client.in_game = False  # a `quit` now would be discarded too: just close
    finally:
        await client.close()


async def test_connections_per_address_and_bans_hold_for_web_clients(web) -> None:
    address, banned = from_elsewhere(), from_elsewhere()
    first = [await web.web_client({}, address) for _ in range(2)]
    try:
        for client in first:
            await client.read_until("Username: ")
        extra = await web.web_client({}, address)
        assert "Too many connections from your address (at most 2)" in await extra.read_closed()
        assert extra.close_code == 1008  # refused: the client does not retry by itself
        await extra.close()
        reply = await console_request(web, f"ban address {banned['X-Forwarded-For']} testing "
                                           "the web")
        assert reply["ok"], reply
        refused = await web.web_client({}, banned)
        assert "You are banned from this game (address: testing the web)" in \
            await refused.read_closed()
        assert refused.close_code == 1008
        await refused.close()
    finally:
        await console_request(web, f"unban address {banned['X-Forwarded-For']}")
        for client in first:
            await client.close()


async def test_a_web_player_plays_on_after_the_server_restarts(server_factory) -> None:
    first = await server_factory(extra_env={"MUD_WEB_PORT": str(free_port())})
    client, name = await web_player(first)
    try:
        await client.command("north")
        token = client.resume
        assert await first.stop() == 0
        assert "going down" in await client.read_closed()
        assert client.close_code == 1001  # going away: the client comes back by itself
        again = await server_factory(first.database_url, redis_prefix=first.redis_prefix,
                                     extra_env={"MUD_WEB_PORT": str(free_port())})
        back = await again.web_client({"resume": token})
        welcome = await back.read_prompt()
        back.in_game = True
        assert "Username: " not in welcome and "Market Street" in welcome
        assert f"Welcome, {name.capitalize()}." in welcome
        await back.close()
    finally:
        await client.close()


async def test_an_idle_web_client_is_closed_and_typing_keeps_it_open(server_factory) -> None:
    web = await server_factory(extra_env={"MUD_WEB_PORT": str(free_port()),
                                          "MUD_IDLE_TIMEOUT": "1.5"})
    client, _ = await web_player(web)
    try:
        for _ in range(3):  # 3 s in all, a line each second: never idle for 1.5 s
            await asyncio.sleep(1.0)
            assert "Village Square" in await client.command("look")
        started = asyncio.get_running_loop().time()
        assert "You have been idle too long" in await client.read_closed(timeout=5)
        assert client.close_code == 1000
        assert 1.0 < asyncio.get_running_loop().time() - started < 3.0
    finally:
        await client.close()


async def test_a_web_client_that_stops_reading_is_cut_off(server_factory) -> None:
    web = await server_factory(extra_env={"MUD_WEB_PORT": str(free_port()),
                                          "MUD_INPUT_RATE": "0", "MUD_INPUT_BYTES_RATE": "0"})
    sleeper, _ = await web_player(web)
    talker, _ = await join(web)
    base = rss_kib(web.proc.pid)
    try:
        sleeper._ws._response.connection.transport.pause_reading()
        message = "say " + "x" * 4000
        async with asyncio.timeout(60):
            while not re.search(r"event=slow_client_dropped address=\S+ kind=web",
                                web.log_text()):
                await talker.command(message)
        growth_mib = (rss_kib(web.proc.pid) - base) / 1024
        assert growth_mib < 64, f"server grew {growth_mib:.0f} MiB for one stuck reader"
        assert "normal rank" in await talker.command("score")
    finally:
        await sleeper.close()
        await talker.close()


async def metrics(server: ServerProcess) -> dict[str, dict[tuple, float]]:
    """/metrics parsed by Prometheus's own parser: {family: {labels: value}}."""
    status, headers, text = await get(server.web_url + "metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {family.name: {tuple(sorted(sample.labels.items())): sample.value
                          for sample in family.samples}
            for family in text_string_to_metric_families(text)}


async def test_metrics_parse_and_follow_what_players_do(web) -> None:
    before = await metrics(web)
    assert before["mud_world_up"][()] == 1
    for family in ("mud_connections", "mud_players", "mud_commands", "mud_saver_flushes",
                   "mud_event_loop_lag_seconds", "mud_world_reboots"):
        assert family in before, family
    client, _ = await web_player(web)
    try:
        for _ in range(5):
            await client.command("look")
        async with asyncio.timeout(10):  # the world reports every 2 s
            while True:
                after = await metrics(web)
                if after["mud_commands"][()] >= before["mud_commands"][()] + 5:
                    break
                await asyncio.sleep(0.2)
        assert after["mud_connections"][(("kind", "web"),)] >= 1
        assert after["mud_players"][()] >= 1
        async with asyncio.timeout(10):  # the console counts the gateway's connections too
            while not re.search(r"connection\(s\) \((\d+ telnet, )?\d+ web\)",
                                (await console_request(web, "status"))["text"]):
                await asyncio.sleep(0.2)
    finally:
        await client.close()
    status, _, body = await get(web.web_url + "health")
    assert status == 200 and '"database": "up"' in body and '"redis": "up"' in body


class Peer:
    """A transport as far as the request asks it: who is on the other end."""

    def __init__(self, host: str) -> None:
        self.host = host

    def get_extra_info(self, name: str, default: object = None) -> object:
        return (self.host, 50000) if name == "peername" else default


@pytest.mark.parametrize(("peer", "forwarded", "seen"), [
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header is not believed
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # the proxy names its client
    ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what the client claimed: ignored
    ("127.0.0.1", "198.51.100.1, 127.0.0.1", "198.51.100.1"),  # a chain of trusted proxies
    ("127.0.0.1", "not-an-address", "127.0.0.1"),  # a header no proxy wrote
    ("127.0.0.1", None, "127.0.0.1"),
])
def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(
        peer: str, forwarded: str | None, seen: str) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("GET", "/ws", headers=headers, transport=Peer(peer))
    assert client_host(request, trusted_proxies("127.0.0.1, ::1")) == seen


def test_a_malformed_trusted_proxy_is_an_operators_error() -> None:
    with pytest.raises(SystemExit, match="MUD_WEB_TRUSTED_PROXIES"):
        trusted_proxies("127.0.0.1, proxy.example.org")
