"""Privileged commands working end to end for wizards and admins, each one leaving an audit row.
That players neither see nor reach any of them is tested in memory (tests/test_cmd_play.py)."""

from __future__ import annotations

import re

from mud.client import TelnetClient
from mud.commands import REGISTRY
from tests.conftest import ServerProcess, join, query, rejoin, wait_for_rows

PRIVILEGED = [c for c in REGISTRY.visible("admin") if c.role != "player"]


async def with_role(server: ServerProcess, role: str) -> tuple[TelnetClient, str]:
    client, name = await join(server)
    await client.quit()
    await query(server.database_url, "UPDATE players SET role = %s WHERE username = %s",
                role, name)
    client, _ = await rejoin(server, name)
    return client, name.capitalize()


async def test_wizard_commands_end_to_end(server) -> None:
    wizard, wizard_name = await with_role(server, "wizard")
    target, target_name = await join(server)
    assert "Market Street" in await wizard.command("at market_street look")
    assert "Village Square" in await wizard.command("look")  # and back again
    assert "Shrine of Bonding" in await wizard.command("goto bonding_shrine")
    assert f"You summon {target_name.capitalize()}." in await wizard.command(
        f"summon {target_name}")
    assert f"{wizard_name} has summoned you." in await target.read_until("summoned you.")
    assert "You make a rusty sword (x2)." in await wizard.command("spawn rusty_sword 2")
    assert "You make a cellar rat." in await wizard.command("spawn cellar_rat")
    assert "A cellar rat is here." in await wizard.command("look")
    stat = await wizard.command(f"stat {target_name}")
    assert re.search(r"id +[0-9a-f-]{36}", stat) and "abilities" in stat
    assert "must be a whole number from 1 to 1000" in await wizard.command(
        f"set {target_name} power 0")
    assert "cannot be set" in await wizard.command(f"set {target_name} luck 5")
    assert "A rank is one of" in await wizard.command(f"set {target_name} rank emperor")
    assert "power is now 15" in await wizard.command(f"set {target_name} power 15")
    assert "Power       15" in await target.command("score")
    await wizard.command(f"set {target_name} health 3")
    assert "Restored 1 character(s)." in await wizard.command(f"restore {target_name}")
    assert "Health 150/150" in await target.command("score")
    assert "Purged 1 monster(s)" in await wizard.command("purge rat")
    assert f"You force {target_name.capitalize()} to: say hello" in await wizard.command(
        f"force {target_name} say hello")
    forced = await target.read_until("'hello'")
    assert "forces you to: say hello" in forced and "You say, 'hello'" in forced
    assert "the sky darkens" in await wizard.command("echo the sky darkens")
    assert "connection(s):" in await wizard.command("users")
    assert "Unknown command 'promote'" in await wizard.command("promote x wizard")  # admin
    rows = await wait_for_rows(
        server.database_url, "SELECT command, target, outcome FROM audit_log"
        " WHERE character = %s ORDER BY id", wizard_name,
        expect=lambda r: "users" in [row[0] for row in r])  # the last one here
    commands = [r[0] for r in rows]
    for expected in ("at", "goto", "transfer", "spawn", "stat", "set", "restore", "purge", "force",
                     "echo", "users"):
        assert expected in commands, expected
    assert ("set", target_name.capitalize(), "refused: power must be a whole number from 1 "
            "to 1000.") in rows


async def test_admins_change_roles_and_read_the_audit_log(server) -> None:
    admin, admin_name = await with_role(server, "admin")
    other, other_name = await join(server)
    assert f"{other_name} is now wizard." in await admin.command(f"promote {other_name} wizard")
    assert "You are now wizard." in await other.read_until("now wizard.")
    assert "Shrine of Bonding" in await other.command("goto bonding_shrine")  # at once
    assert "would not be a demotion" in await admin.command(f"demote {other_name} admin")
    assert f"{other_name} is now player." in await admin.command(f"demote {other_name} player")
    assert "Unknown command 'goto'" in await other.command("goto village_square")
    log = await admin.command(f"audit {admin_name}")
    assert "promote" in log and "demote" in log and "refused" in log
    assert [(r[0],) for r in await query(server.database_url,
                                         "SELECT role FROM players WHERE username = %s",
                                         other_name)] == [("player",)]


async def test_every_privileged_command_leaves_an_audit_row(server_factory) -> None:
    """Each privileged command in the registry, run bare by an admin (so each only reports,
    refuses or shows usage), is in the audit log: a new command cannot slip past it."""
    server = await server_factory()
    admin, admin_name = await with_role(server, "admin")
    for cmd in PRIVILEGED:
        await admin.command(cmd.name)
    rows = await wait_for_rows(
        server.database_url, "SELECT DISTINCT command FROM audit_log WHERE character = %s",
        admin_name, expect=lambda r: len(r) >= len(PRIVILEGED))
    assert {r[0] for r in rows} == {c.name for c in PRIVILEGED}
