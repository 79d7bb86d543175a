"""Wizards watching and restraining players, over telnet: invisibility, snooping, freezing,
bans, the wizlock and a planned shutdown; each leaves an audit row."""

from __future__ import annotations

from mud.client import TelnetClient
from tests.conftest import PASSWORD, ServerProcess, join, query, rejoin, wait_for_rows
from tests.test_wizard import with_role


async def audited(server: ServerProcess, character: str, last: str, times: int = 1
                  ) -> list[str]:
    """The commands audited for character, once `last` is among them `times` times."""
    rows = await wait_for_rows(
        server.database_url, "SELECT command FROM audit_log WHERE character = %s ORDER BY id",
        character, expect=lambda r: [row[0] for row in r].count(last) >= times)
    return [row[0] for row in rows]


async def with_backlog(client: TelnetClient, line: str) -> str:
    """The reply to line together with everything that arrived before it and was not read yet
    (client.command would set that aside), so a message that should not have come shows."""
    client.send(line)
    return await client.read_until(r"\[Exits") + await client.read_prompt()


async def test_invisible_wizards_are_unseen_by_players(server) -> None:
    wizard, wizard_name = await with_role(server, "wizard")
    other_wizard, _ = await with_role(server, "wizard")
    player, _ = await join(server)
    assert f"{wizard_name} is here." in await player.command("look")
    assert "You fade from the sight of mortals." in await wizard.command("invis")
    assert wizard_name not in await player.command("look")
    assert wizard_name not in await player.command("who")
    assert f"{wizard_name} is here (invisible)." in await other_wizard.command("look")
    assert wizard_name in await other_wizard.command("who")
    await player.drain()
    await wizard.command("north")
    await wizard.command("south")
    assert wizard_name not in await with_backlog(player, "look")  # no leaving, no arriving
    assert "You are visible again." in await wizard.command("vis")
    assert f"{wizard_name} is here." in await player.command("look")
    assert {"invis", "vis"} <= set(await audited(server, wizard_name, "vis"))


async def test_snooping_shows_a_player_s_screen_to_the_wizard(server) -> None:
    wizard, wizard_name = await with_role(server, "wizard")
    admin, admin_name = await with_role(server, "admin")
    player, player_name = await join(server)
    name = player_name.capitalize()
    assert "You cannot snoop yourself." in await wizard.command(f"snoop {wizard_name}")
    assert f"You cannot snoop {admin_name}." in await wizard.command(f"snoop {admin_name}")
    assert f"You are now snooping {wizard_name}." in await admin.command(f"snoop {wizard_name}")
    assert f"You stop snooping {wizard_name}." in await admin.command("snoop")
    assert f"You are now snooping {name}." in await wizard.command(f"snoop {player_name}")
    await player.command("say the eagle flies")
    watched = await wizard.read_until("% You say, 'the eagle flies'")
    assert "%> say the eagle flies" in watched
    assert f"You stop snooping {name}." in await wizard.command("snoop")
    await player.command("say unseen now")
    backlog = await with_backlog(wizard, "look")
    assert "unseen now'" in backlog  # heard in the room, as anyone there hears it
    assert "% You say, 'unseen now'" not in backlog and "%> say unseen now" not in backlog
    assert "You are not snooping anyone." in await wizard.command("snoop")
    assert "Unknown command 'snoop'" in await player.command(f"snoop {wizard_name}")
    rows = await wait_for_rows(
        server.database_url, "SELECT target FROM audit_log WHERE character = %s"
        " AND command = 'snoop' ORDER BY id", wizard_name, expect=lambda r: len(r) >= 4)
    assert (name,) in rows


async def test_a_frozen_player_can_only_quit_until_thawed(server) -> None:
    wizard, wizard_name = await with_role(server, "wizard")
    player, player_name = await join(server)
    name = player_name.capitalize()
    assert f"{name} is frozen." in await wizard.command(f"freeze {player_name}")
    assert "cannot move" in await player.read_until("cannot move.")
    assert "frozen solid" in await player.command("north")
    assert "frozen solid" in await player.command("say hello")
    assert "Goodbye" in await player.quit()
    assert await query(server.database_url, "SELECT frozen FROM characters WHERE name = %s",
                       name) == [(True,)]
    player, _ = await rejoin(server, player_name)
    assert "frozen solid" in await player.command("look")
    assert f"{name} is thawed." in await wizard.command(f"thaw {player_name}")
    assert "Village Square" in await player.command("look")
    assert f"{name} is not frozen." in await wizard.command(f"thaw {player_name}")
    commands = await audited(server, wizard_name, "thaw", times=2)
    assert commands.count("freeze") == 1 and commands.count("thaw") == 2
    await wait_for_rows(server.database_url, "SELECT frozen FROM characters WHERE name = %s",
                        name, expect=lambda r: r == [(False,)])


async def test_account_and_character_bans_keep_people_out(server) -> None:
    wizard, wizard_name = await with_role(server, "wizard")
    player, player_name = await join(server)
    assert "not a valid account name" in await wizard.command("ban account bad!name")
    wizard.send(f"ban account {player_name} spamming the chat")
    reply = await wizard.read_until(r"closed\.")
    assert f"Banned account {player_name.lower()} (spamming the chat); 1 connection(s) " \
           "closed." in reply
    assert "You have been banned" in await player.read_closed()
    again = await TelnetClient.connect("127.0.0.1", server.port)
    await again.read_until("Username: ")
    again.send(f"connect {player_name} {PASSWORD}")
    assert "You are banned from this game (account: spamming the chat)" in \
        await again.read_closed()
    assert player_name.lower() in await wizard.command("bans")
    assert "is lifted" in await wizard.command(f"unban account {player_name}")
    player, _ = await rejoin(server, player_name)
    assert "There is no ban on" in await wizard.command(f"unban account {player_name}")
    await player.quit()
    await wizard.command(f"ban character {player_name}")
    again = await TelnetClient.connect("127.0.0.1", server.port)
    await again.read_until("Username: ")
    again.send(f"connect {player_name} {PASSWORD}")
    assert "You are banned from this game (character)" in await again.read_closed()
    await wizard.command(f"unban character {player_name}")
    assert await query(server.database_url, "SELECT count(*) FROM bans WHERE value = %s",
                       player_name.lower()) == [(0,)]
    commands = await audited(server, wizard_name, "unban", times=3)  # the last command
    assert commands.count("ban") == 3 and commands.count("unban") == 3


async def test_address_bans_wizlock_and_a_planned_shutdown(server_factory) -> None:
    server = await server_factory()
    wizard, wizard_name = await with_role(server, "wizard")
    player, player_name = await join(server)
    await player.quit()
    assert "only wizards and admins may log in" in await wizard.command("wizlock on")
    locked = await TelnetClient.connect("127.0.0.1", server.port)
    await locked.read_until("Username: ")
    locked.send(f"connect {player_name} {PASSWORD}")
    assert "closed to players for maintenance" in await locked.read_closed()
    assert "open to everyone" in await wizard.command("wizlock off")
    player, _ = await rejoin(server, player_name)
    assert "is not an address" in await wizard.command("ban address 300.1.2.3")
    assert "Banned address 10.0.0.0/8" in await wizard.command("ban address 10.1.2.3/8")
    assert "Village Square" in await player.command("look")  # 127.0.0.1 is not covered
    await player.command("north")
    assert "Usage: shutdown" in await wizard.command("shutdown soon")
    assert "shut down in 10 minutes (maintenance)" in await wizard.command(
        "shutdown 10 maintenance")
    assert "shuts down in 10 minutes: maintenance" in await player.read_until("maintenance")
    assert "The shutdown is cancelled." in await wizard.command("shutdown cancel")
    assert "cancelled" in await player.read_until("cancelled")
    assert "shut down in 1 second" in await wizard.command("shutdown 0.01 new release")
    warned = await player.read_closed()
    assert "shuts down in 1 second: new release" in warned and "Saved." in warned
    assert await server.stop(sig=None) == 0
    assert await query(server.database_url, "SELECT current_room_id FROM characters"
                       " WHERE name = %s", player_name.capitalize()) == [("market_street",)]
    rows = await query(server.database_url, "SELECT command, outcome FROM audit_log"
                       " WHERE character = %s ORDER BY id", wizard_name)
    commands = [r[0] for r in rows]
    assert commands.count("wizlock") == 2 and commands.count("shutdown") == 4
    assert ("ban", "refused: '300.1.2.3' is not an address or a network (like 203.0.113.7 or "
            "203.0.113.0/24).") in rows
