"""A newcomer's first bonds (issue 13), over real telnet against a real server and PostgreSQL:
the bond's report once the database has it, and a bond question left by yes, quitting or being
frozen. The wording and rules of the first hour's item commands (examining an essence, collect
objectives, food on a full pool, the attack figure, the bond's question) are tested in memory:
tests/test_cmd_items.py and tests/test_cmd_essences.py."""

from __future__ import annotations

from mud.client import TelnetClient
from tests.conftest import ServerProcess, carrying, query, rejoin
from tests.test_wizard import with_role

ESSENCES_SQL = ("SELECT e.essence_type FROM character_essences e JOIN characters c"
                " ON c.id = e.character_id WHERE c.name = %s ORDER BY e.id")


async def arrive(server: ServerProcess, *items: str) -> tuple[TelnetClient, str]:
    """A new character who logs in carrying items, and its name as the game writes it."""
    client, name = await carrying(server, *items)
    return client, name.capitalize()


async def with_two_bonded(server: ServerProcess, third: str) -> tuple[TelnetClient, str]:
    """A character who has bonded stone (power) and tide (speed) and carries third."""
    client, name = await arrive(server, "stone_essence", "tide_essence", third)
    for what, attribute in (("stone", "power"), ("tide", "speed")):
        await client.command(f"bond {what} to {attribute}")
        assert "You bond" in await client.command("yes")
    return client, name


# -- bonding --------------------------------------------------------------------------------


async def test_the_third_bond_reports_each_gain_after_its_own_bonus(server) -> None:
    client, name = await with_two_bonded(server, "hearth_essence")
    # stone, tide and hearth make bastion, which favours recovery, as hearth does
    await client.command("bond hearth to recovery")
    reply = await client.command("yes")
    assert "Recovery +6 (now 16)." in reply, reply  # after the first bonus alone
    assert "Recovery +6 (now 22)." in reply, reply  # after both
    assert reply.index("(now 16)") < reply.index("(now 22)")
    assert [row[0] for row in await query(server.database_url, ESSENCES_SQL, name)] == [
        "stone", "tide", "hearth", "bastion"]


async def test_a_bond_question_asks_again_until_yes_or_no(server) -> None:
    client, name = await arrive(server, "gale_essence")
    assert "cannot be undone" in await client.command("bond gale to speed")
    for typo in ("maybe", "yse", "look"):
        again = await client.command(typo)
        assert "Please answer yes or no. Bond a gale essence to speed? (yes/no)" in again, again
        assert "cancelled" not in again and "Village Square" not in again
        assert "Unknown command" not in again
    assert "You bond the gale essence to speed" in await client.command("yes")
    assert [row[0] for row in await query(server.database_url, ESSENCES_SQL, name)] == ["gale"]


async def test_quit_leaves_in_the_middle_of_a_bond_question(server) -> None:
    client, name = await arrive(server, "gale_essence")
    await client.command("bond gale to speed")
    left = await client.quit()
    assert "Bonding cancelled." in left and "Goodbye" in left, left
    client, _ = await rejoin(server, name)
    assert "Unknown command 'yes'" in await client.command("yes")
    assert await query(server.database_url, ESSENCES_SQL, name) == []


async def test_freezing_cancels_a_pending_bond(server) -> None:
    wizard, _ = await with_role(server, "wizard")
    client, name = await arrive(server, "gale_essence")
    await client.command("bond gale to speed")
    await wizard.command(f"freeze {name}")
    await client.read_until("cannot move.")
    refused = await client.command("yes")
    assert "frozen solid" in refused and "Bonding cancelled." in refused, refused
    await wizard.command(f"thaw {name}")
    assert "Unknown command 'yes'" in await client.command("yes")
    assert await query(server.database_url, ESSENCES_SQL, name) == []
    assert "a gale essence" in await client.command("inventory")
