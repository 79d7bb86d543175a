"""The operator console: every command over the real Unix socket of a running server, the
`mud console` program (one-shot, --json, piped, exit codes), the socket's permissions, a
planned shutdown, and the audit rows console commands leave."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import (
    PASSWORD,
    ServerProcess,
    join,
    query,
    rejoin,
    wait_for_rows,
)
from tests.conftest import console_request as ask

NOBODY = 65534
REFUSED = 13  # exit code of the child that was refused the socket


async def mud_console(path: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Run `mud console`; returns its exit code, standard output and standard error."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", "console", "--console-socket", str(path), *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate((stdin or "").encode()), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def connect_as_nobody(path: Path) -> int:
    """Fork a child that becomes the user nobody and opens the socket: 0 when it could,
    REFUSED on PermissionError."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        code = 1
        try:
            os.setuid(NOBODY)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(str(path))
            code = 0
        except PermissionError:
            code = REFUSED
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_the_socket_is_private_to_the_servers_user(server: ServerProcess) -> None:
    path = server.console_socket
    info = path.stat()
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == os.getuid()
    if os.getuid() != 0:
        pytest.skip("trying the socket as another user (nobody) needs root")
    folder_mode = stat.S_IMODE(path.parent.stat().st_mode)
    path.parent.chmod(0o711)  # the folder lets nobody through: only the socket's bits decide
    try:
        assert connect_as_nobody(path) == REFUSED
        path.chmod(0o666)  # the same child gets in when the bits allow it
        assert connect_as_nobody(path) == 0
    finally:
        path.chmod(0o600)
        path.parent.chmod(folder_mode)


async def test_one_shot_json_piped_and_exit_codes(server: ServerProcess, tmp_path: Path) -> None:
    stale = Path(f"/tmp/mudc-stale-{os.getpid()}.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(stale))  # a socket file nobody listens on: left by a dead server
    try:
        status, as_json, unknown, missing, dead, piped = await asyncio.gather(
            mud_console(server.console_socket, "-c", "status"),
            mud_console(server.console_socket, "-c", "status", "--json"),
            mud_console(server.console_socket, "-c", "frobnicate now"),
            mud_console(tmp_path / "none.sock", "-c", "status"),
            mud_console(stale, "-c", "status"),
            mud_console(server.console_socket, stdin="help\n\nsessions\n"))
    finally:
        os.unlink(stale)
    code, out, err = status
    assert code == 0, err
    for label in ("uptime", "players", "commands", "loop lag", "saver", "database  up",
                  "redis     up"):
        assert label in out, label
    code, out, _ = as_json
    reply = json.loads(out)
    assert code == 0 and reply["ok"] is True
    assert reply["data"]["database"]["up"] is True and reply["data"]["redis"]["up"] is True
    assert {"uptime_s", "players", "commands_per_s", "lag_ms_max", "saver"} <= set(reply["data"])
    assert {"last_flush_at", "dirty", "failures"} <= set(reply["data"]["saver"])
    code, _, err = unknown
    assert code == 1 and "Unknown console command 'frobnicate'" in err
    code, _, err = missing
    assert code == 2 and f"no console socket at {tmp_path / 'none.sock'}" in err
    assert "the server is not running" in err
    code, _, err = dead
    assert code == 2 and f"nothing answers at {stale}" in err
    code, out, err = piped
    assert code == 0, err
    assert "Console commands:" in out and "connection(s)" in out


async def test_sessions_broadcast_and_kick(server: ServerProcess) -> None:
    client, name = await join(server)
    reply = await ask(server, "sessions")
    assert reply["ok"] and name.capitalize() in reply["text"]
    assert {"character": name.capitalize(), "account": name, "role": "player",
            "state": "playing"}.items() <= next(
        s for s in reply["data"]["sessions"] if s["account"] == name).items()
    reply = await ask(server, "broadcast The bridge is closed tonight.")
    assert reply["ok"] and reply["text"] == "Sent to 1 player(s)."
    await client.read_until(r"\[notice\] The bridge is closed tonight\.")
    assert not (await ask(server, "broadcast"))["ok"]
    reply = await ask(server, f"kick {name} Go and have some sleep.")
    assert reply == {"ok": True, "text": f"{name.capitalize()} has been disconnected and saved.",
                     "data": {}}
    assert "Go and have some sleep." in await client.read_closed()
    reply = await ask(server, f"kick {name}")
    assert not reply["ok"] and "is in the game on this server" in reply["text"]


async def test_save_reports_what_it_wrote(server_factory) -> None:
    # a slow saver of its own, so the change is still waiting when save runs
    game = await server_factory(save_interval=600)
    client, name = await join(game)
    await client.command("north")
    reply = await ask(game, "save")
    assert reply["ok"] and reply["text"].startswith("Saved ") and reply["data"]["saved"] >= 1
    assert await query(game.database_url, "SELECT current_room_id FROM characters WHERE name = %s",
                       name.capitalize()) == [("market_street",)]
    reply = await ask(game, "save")
    assert reply["ok"] and reply["text"].startswith("Nothing to save")
    await client.close()
    assert await game.stop() == 0


async def test_promote_create_admin_and_bans(server: ServerProcess) -> None:
    client, name = await join(server)
    await client.quit()
    reply = await ask(server, f"promote {name} wizard")
    assert reply["ok"] and reply["text"] == f"{name} is now wizard."
    assert await query(server.database_url, "SELECT role FROM players WHERE username = %s",
                       name) == [("wizard",)]
    assert "Usage: promote" in (await ask(server, f"promote {name} emperor"))["text"]
    assert not (await ask(server, "promote Tnosuchname admin"))["ok"]

    reply = await ask(server, f"ban account {name} spamming the chat")
    assert reply["ok"] and reply["text"].startswith(f"Banned account {name.lower()}")
    client = await server.client()
    await client.read_until("Username: ")
    client.send(f"connect {name} {PASSWORD}")
    refused = await client.read_closed()
    assert "You are banned from this game (account: spamming the chat)" in refused
    assert any(b["value"] == name.lower() for b in (await ask(server, "bans"))["data"]["bans"])
    assert "Usage: ban" in (await ask(server, f"ban planet {name}"))["text"]
    assert (await ask(server, f"unban account {name}"))["ok"]
    assert not (await ask(server, f"unban account {name}"))["ok"]
    client, _ = await rejoin(server, name)
    assert "Village Square" in await client.command("look")
    await client.close()

    admin = "Tadm" + name[4:]
    reply = await ask(server, f"create-admin {admin}")
    assert reply["ok"] and reply["data"]["created"] is True
    password = reply["data"]["password"]
    assert f"Password (shown only once; change it after logging in): {password}" \
        in reply["text"]
    assert await query(server.database_url, "SELECT role, email FROM players WHERE username = %s",
                       admin) == [("admin", f"{admin}@localhost")]
    client = await server.client()
    await client.read_until("Username: ")
    client.send(f"connect {admin} {password}")
    await client.read_until("Character name: ")  # logged in: a new account names a character
    await client.close()
    reply = await ask(server, f"create-admin {name}")
    assert reply["ok"] and "already exists and is now admin" in reply["text"]
    assert await query(server.database_url, "SELECT role FROM players WHERE username = %s",
                       name) == [("admin",)]
    assert "A username is" in (await ask(server, "create-admin 9lives"))["text"]

    rows = await wait_for_rows(
        server.database_url, "SELECT character, role, command, target, outcome FROM audit_log"
        " WHERE account = 'console' AND lower(target) IN (lower(%s), lower(%s)) ORDER BY id",
        name, admin, expect=lambda r: len(r) >= 7)
    assert ("-", "admin", "promote", name, "ok") in rows
    assert ("-", "admin", "ban", name.lower(), "ok") in rows
    assert ("-", "admin", "unban", name, f"refused: There is no ban on account {name} (bans "
            "lists them).") in rows
    assert ("-", "admin", "create-admin", admin, "ok") in rows


async def test_reload_world_and_help(server: ServerProcess) -> None:
    reply = await ask(server, "reload-world")  # the older form of `reload world`
    assert reply["ok"] and reply["text"].startswith("World reloaded:"), reply["text"]
    reply = await ask(server, "help")
    assert {"status", "sessions", "kick", "broadcast", "save", "shutdown", "reload",
            "promote", "ban", "unban", "create-admin"} <= set(reply["data"]["commands"])
    assert "shutdown <minutes | now>" in (await ask(server, "help shutdown"))["text"]
    malformed = await asyncio.open_unix_connection(str(server.console_socket))
    malformed[1].write(b"status please\n")
    reply = json.loads(await malformed[0].readline())
    malformed[1].close()
    assert not reply["ok"] and "send one JSON object per line" in reply["text"]
    await wait_for_rows(server.database_url,
                        "SELECT 1 FROM audit_log WHERE account = 'console' AND command = %s",
                        "reload", expect=bool)


async def test_shutdown_in_warns_players_then_stops_with_everything_saved(server_factory
                                                                          ) -> None:
    game = await server_factory(save_interval=600)  # only the shutdown saves the move
    client, name = await join(game)
    await client.command("north")
    assert not (await ask(game, "shutdown --in soon"))["ok"]
    assert "Minutes must be from 0 to" in (await ask(game, "shutdown --in 5000"))["text"]
    assert (await ask(game, "shutdown --in 10"))["ok"]
    await client.read_until(r"\[shutdown\] The server shuts down in 10 minutes\.")
    status = await ask(game, "status")
    assert "\nshutdown  in " in status["text"] and 590 < status["data"]["shutdown_in_s"] <= 600
    assert (await ask(game, "shutdown --cancel"))["ok"]
    await client.read_until(r"\[shutdown\] The planned shutdown has been cancelled\.")
    assert not (await ask(game, "shutdown --cancel"))["ok"]
    reply = await ask(game, "shutdown --in 0.05 new bridges")
    assert reply["ok"] and reply["text"] == \
        "The server will shut down in 3 seconds (new bridges)."
    warning = await client.read_until(r"\[shutdown\][^\n]*")
    assert "The server shuts down in 3 seconds: new bridges." in warning
    assert "Saved. The server is going down now." in await client.read_closed(timeout=30)
    assert await game.stop(sig=None) == 0
    assert not game.console_socket.exists()
    assert await query(game.database_url, "SELECT current_room_id FROM characters WHERE name = %s",
                       name.capitalize()) == [("market_street",)]
    assert await query(game.database_url, "SELECT args FROM audit_log WHERE account = 'console'"
                       " AND command = 'shutdown' AND outcome = 'ok' ORDER BY id") == [
        ("--in 10",), ("--cancel",), ("--in 0.05 new bridges",)]


async def test_stale_socket_replaced_and_live_one_kept(server_factory, tmp_path: Path) -> None:
    first = await server_factory()
    second = await server_factory(extra_env={"MUD_CONSOLE_SOCKET": str(first.console_socket)})
    assert "event=console_unavailable" in second.log_text()
    assert "another running server answers" in second.log_text()
    assert (await ask(first, "status"))["data"]["process"] in first.log_text()
    first.proc.kill()  # dies without removing its socket file
    await first.stop(sig=None)
    assert first.console_socket.exists()
    third = await server_factory(extra_env={"MUD_CONSOLE_SOCKET": str(first.console_socket)})
    assert "event=console_stale_socket_removed" in third.log_text()
    reply = await ask(first, "status")  # the path now answers for the third server
    assert reply["ok"] and f"process={reply['data']['process']} " in third.log_text()
    assert await second.stop() == 0
    assert first.console_socket.exists()  # the second never owned it, so left it alone
