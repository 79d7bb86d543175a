"""Changing a password: `password` in the game (echo off, throttled, audited, never shown to a
snooping wizard nor logged) and the operator console's `reset-password`."""

from __future__ import annotations

import asyncio
import re

from mud.client import TelnetClient
from tests.conftest import PASSWORD, ServerProcess, join, letters, query, rejoin, wait_for_rows
from tests.test_console import mud_console
from tests.test_wizard import with_role

QUESTIONS = ("Old password: ", "New password: ", "Repeat the new password: ")


async def change_password(client: TelnetClient, *answers: str) -> str:
    """Type `password` and answer its questions in turn (as many as given); the reply after the
    last answer. Each question must come with the client's echo off, and it must be back on
    afterwards."""
    await client.drain()
    client.send("password")
    for question, answer in zip(QUESTIONS, answers, strict=False):
        await client.read_until(re.escape(question))
        assert client.server_echo, f"the echo is on at {question!r}"
        client.send(answer)
    reply = await client.read_prompt()
    assert not client.server_echo, "the echo must come back after the passwords"
    return reply


async def login_fails(server: ServerProcess, name: str, password: str) -> str:
    """Try a one-line login that must not get in; what the server said."""
    client = await server.client()
    try:
        await client.read_until("Username: ")
        client.send(f"connect {name} {password}")
        return await client.read_until(r"Wrong password\.|Too many failed logins[^\n]*")
    finally:
        await client.close()


async def password_audit(server: ServerProcess, character: str, count: int) -> list[tuple]:
    """The audit rows of `password` for character, once there are count of them."""
    return await wait_for_rows(
        server.database_url, "SELECT account, role, command, target, args, outcome"
        " FROM audit_log WHERE command = 'password' AND character = %s ORDER BY id",
        character, expect=lambda rows: len(rows) >= count)


async def logged(server: ServerProcess, text: str, timeout: float = 5.0) -> str:
    """The server's log, once text is in it."""
    async with asyncio.timeout(timeout):
        while text not in (log := server.log_text()):
            await asyncio.sleep(0.05)
    return log


def new_password() -> str:
    return "pw-" + letters(12)


async def test_a_player_changes_the_password_and_logs_in_with_the_new_one(server) -> None:
    client, name = await join(server)
    fresh = new_password()
    reply = await change_password(client, PASSWORD, fresh, fresh)
    assert "Your password has been changed." in reply
    assert "Village Square" in await client.command("look")  # still playing
    await client.quit()
    assert "Wrong password." in await login_fails(server, name, PASSWORD)
    client = await server.client()
    assert "Village Square" in await client.login(name, fresh)
    await client.close()
    rows = await password_audit(server, name.capitalize(), 1)
    assert rows == [(name, "player", "password", name, "", "ok")]
    everything = str(await query(server.database_url, "SELECT * FROM audit_log"))
    assert fresh not in everything and PASSWORD not in everything
    assert fresh not in server.log_text()
    assert f"event=password_changed account={name}" in server.log_text()


async def test_a_wrong_old_password_changes_nothing_and_counts_as_a_failed_login(
        server_factory) -> None:
    game = await server_factory()  # its own throttle: five failures lock the account out
    client, name = await join(game)
    for _ in range(5):
        reply = await change_password(client, "not-my-password")
        assert "Wrong password. Your password is unchanged." in reply
        assert "New password" not in reply
    reply = await change_password(client)
    assert "Too many failed logins for this account" in reply
    assert "Too many failed logins" in await login_fails(game, name, PASSWORD)
    rows = await password_audit(game, name.capitalize(), 6)
    assert [row[5] for row in rows] == ["refused: wrong password"] * 5 + ["refused: locked out"]
    await client.quit()
    assert "not-my-password" not in game.log_text()


async def test_a_new_password_must_be_valid_repeated_and_new(server) -> None:
    client, name = await join(server)
    reply = await change_password(client, PASSWORD, "short")
    assert "A password is 8 to 128 characters long. Your password is unchanged." in reply
    assert "Repeat" not in reply
    reply = await change_password(client, PASSWORD, "first-choice", "second-choice")
    assert "The new passwords do not match. Your password is unchanged." in reply
    reply = await change_password(client, PASSWORD, PASSWORD)
    assert "The new password is the same as the old one." in reply
    reply = await change_password(client, PASSWORD, new_password(), new_password())
    assert "do not match" in reply
    assert "Type password alone" in await client.command("password hunter22 xyz")
    await client.quit()
    client, _ = await rejoin(server, name)  # the old password still works
    await client.close()
    rows = await password_audit(server, name.capitalize(), 5)
    assert [row[5] for row in rows] == [
        "refused: A password is 8 to 128 characters long.", "refused: mismatch",
        "refused: unchanged", "refused: mismatch", "refused: arguments"]
    assert all(row[4] == "" for row in rows)


async def test_a_snooping_wizard_never_sees_the_passwords(server) -> None:
    wizard, _ = await with_role(server, "wizard")
    client, name = await join(server)
    await wizard.expect(f"{name.capitalize()} has entered the game.")
    assert "You are now snooping" in await wizard.command(f"snoop {name}")
    fresh = new_password()
    assert "has been changed" in await change_password(client, PASSWORD, fresh, fresh)
    watched = await wizard.read_until(r"% Your password has been changed\.")
    watched += await wizard.drain()
    assert "%> password" in watched
    assert PASSWORD not in watched and fresh not in watched
    await wizard.command("snoop")


async def test_a_wizard_cannot_force_a_password_change(server) -> None:
    wizard, _ = await with_role(server, "wizard")
    client, name = await join(server)
    await client.drain()
    await wizard.command(f"force {name} password")
    told = await client.read_until(r"Only you can change your password[^\n]*")
    assert "Old password" not in told
    assert not client.server_echo
    assert "Village Square" in await client.command("look")  # the input is the player's own


async def test_leaving_mid_way_ends_the_session_cleanly_and_changes_nothing(server) -> None:
    client, name = await join(server)
    await client.drain()
    client.send("password")
    await client.read_until("Old password: ")
    client.send(PASSWORD)
    await client.read_until("New password: ")
    client.send("never-stored")
    await client.read_until("Repeat the new password: ")
    await client.close_now()
    rows = await password_audit(server, name.capitalize(), 1)
    assert rows[0][5] == "abandoned"
    character = name.capitalize()
    log = await logged(server, f"event=link_lost character={character}")
    assert f"event=command_failed command=password character={character}" not in log
    client, welcome = await rejoin(server, name)  # the old password, the character link-dead
    assert "You take up where you left off." in welcome
    await client.close()


async def test_the_console_resets_a_password_shown_once(server) -> None:
    _, name = await join(server)
    code, out, err = await mud_console(server.console_socket, "-c", f"reset-password {name}")
    assert code == 0, err
    match = re.search(rf"New password for {name} \(shown only once\): (\S+)", out)
    assert match, out
    fresh = match[1]
    assert "password" in out.split(fresh, 1)[1]  # and how the player changes it
    assert "Wrong password." in await login_fails(server, name, PASSWORD)
    client = await server.client()
    assert "Village Square" in await client.login(name, fresh)
    await client.close()
    code, out, err = await mud_console(server.console_socket, "-c", "reset-password nobodyhere")
    assert code == 1 and "There is no account named 'nobodyhere'." in err
    rows = await wait_for_rows(
        server.database_url, "SELECT account, command, target, args, outcome FROM audit_log"
        " WHERE command = 'reset-password' AND lower(target) = lower(%s)", name,
        expect=bool)
    assert rows == [("console", "reset-password", name, name, "ok")]
    assert fresh not in str(await query(server.database_url, "SELECT * FROM audit_log"))
    assert fresh not in server.log_text()


async def test_create_admin_points_to_the_password_command(server) -> None:
    code, out, _ = await mud_console(server.console_socket, "-c",
                                     f"create-admin Tadm{letters(8)}")
    assert code == 0
    assert "type password in the game to change it" in out


async def test_a_question_keeps_its_prompt_when_messages_arrive(server) -> None:
    """Someone speaks while the player is asked for a password: the question is asked again
    under the message, not replaced by the game prompt."""
    client, _ = await join(server)
    other, _ = await join(server)
    await client.drain()
    client.send("password")
    await client.read_until(re.escape(QUESTIONS[0]))
    await other.command("say are you there?")
    heard = await client.read_until(r"are you there\?'\n.*")
    assert heard.endswith("\n" + QUESTIONS[0]), repr(heard)
    client.send(PASSWORD)
    assert "Your password is unchanged" not in await client.read_until(re.escape(QUESTIONS[1]))
    client.send("")  # an empty new password: refused, and the game prompt is back
    assert "Your password is unchanged." in await client.read_prompt()
    await other.close()
