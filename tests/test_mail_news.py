"""Mail, the message of the day, news and reports end to end over telnet, as PostgreSQL keeps
them: a letter to a character who is not playing, told of and read at their next login; a motd
and news set by a wizard (audited) and read by players; bug, idea and typo reports listed and
closed by a wizard."""

from __future__ import annotations

from mud.client import TelnetClient
from tests.conftest import join, query, rejoin, wait_for_rows
from tests.test_wizard import with_role

MAIL_SQL = ("SELECT m.sender, m.body, m.read_at IS NOT NULL FROM mail m JOIN characters c"
            " ON c.id = m.recipient_id WHERE c.name = %s ORDER BY m.id")


async def write_letter(client: TelnetClient, to: str, *lines: str) -> str:
    """Type `mail <to>` and the letter's lines (the last ends or cancels it); the reply."""
    await client.drain()
    client.send(f"mail {to}")
    for line in lines:
        await client.read_until(r"\] ")
        client.send(line)
    return await client.read_prompt()


async def test_a_letter_to_someone_away_is_told_of_and_read_at_their_next_login(server
                                                                                 ) -> None:
    bob, bob_name = await join(server)
    await bob.quit()
    alice, alice_name = await join(server)
    alice_name = alice_name.capitalize()
    sent = await write_letter(alice, bob_name, "Meet me at the docks.", "Bring bread.", ".")
    assert f"Your letter to {bob_name.capitalize()} is sent." in sent
    assert "You throw the letter away." in await write_letter(alice, bob_name, "Never mind",
                                                              "~q")
    assert "There is no character called 'nobodyhere'." in await alice.command(
        "mail nobodyhere")
    assert await query(server.database_url, MAIL_SQL, bob_name.capitalize()) == [
        (alice_name, "Meet me at the docks.\nBring bread.", False)]

    bob, welcome = await rejoin(server, bob_name)
    assert f"Welcome, {bob_name.capitalize()}.\nYou have 1 unread letter. Type 'mail'.\n" \
        in welcome
    listed = await bob.command("mail")
    assert f"1. new from {alice_name}" in listed and "Meet me at the docks." in listed
    read = await bob.command("mail read 1")
    assert f"From {alice_name}" in read and "Meet me at the docks.\nBring bread." in read
    assert "new from" not in await bob.command("mail")
    assert await query(server.database_url, MAIL_SQL, bob_name.capitalize()) == [
        (alice_name, "Meet me at the docks.\nBring bread.", True)]
    assert "You have no letter 2." in await bob.command("mail read 2")
    assert f"You throw away the letter from {alice_name}." in await bob.command("mail delete 1")
    assert "You have no letters." in await bob.command("mail")

    sent = await write_letter(alice, bob_name, "Are you there?", ".")  # playing: told at once
    assert "is sent" in sent
    await bob.read_until(f"You have a new letter from {alice_name}. Type 'mail'.")


async def test_reports_are_filed_with_the_room_listed_and_closed_by_a_wizard(server) -> None:
    player, name = await join(server)
    filed = await player.command("typo the heron statue is a 'stork' in the square")
    assert "Thank you: your typo report is number" in filed
    number = int(filed.split("number ")[1].split(".")[0])
    assert "Usage: bug <what you found>" in await player.command("bug")
    assert "Unknown command 'reports'" in await player.command("reports")
    wizard, wizard_name = await with_role(server, "wizard")
    listed = await wizard.command("reports")
    assert (f"#{number} typo by {name.capitalize()} in village_square" in listed
            and "'stork'" in listed)
    assert f"Report {number} is closed." in await wizard.command(f"reports close {number}")
    assert f"There is no open report {number}." in await wizard.command(
        f"reports close {number}")
    assert await query(server.database_url, "SELECT kind, room_id, closed_by FROM reports"
                       " WHERE id = %s", number) == [("typo", "village_square", wizard_name)]


async def test_the_message_of_the_day_and_the_news_are_set_by_wizards(server_factory) -> None:
    server = await server_factory()  # its own: the motd is shown at every login
    wizard, wizard_name = await with_role(server, "wizard")
    player, name = await join(server)
    assert "There is no message of the day." in await player.command("motd")
    assert "Usage: motd\n" in await player.command("motd set mine now")
    assert "The message of the day is now: Double essence drops this weekend!" in \
        await wizard.command("motd set Double essence drops   this weekend!")
    assert "Your news is posted." in await wizard.command("news post The bridge is mended.")
    assert "Usage: news\n" in await player.command("news post me too")
    await player.quit()
    player, welcome = await rejoin(server, name)
    assert "Message of the day: Double essence drops this weekend!" in welcome
    assert f"{wizard_name}: The bridge is mended." in await player.command("news")
    [(news_id,)] = await query(server.database_url, "SELECT id FROM news")
    assert f"News item {news_id} is removed." in await wizard.command(f"news remove {news_id}")
    assert "There is no news." in await player.command("news")
    assert "The message of the day is cleared." in await wizard.command("motd clear")
    audited = await wait_for_rows(server.database_url, "SELECT command, target FROM audit_log"
                                  " WHERE character = %s ORDER BY id", wizard_name,
                                  expect=lambda rows: len(rows) >= 4)  # written in batches
    assert audited == [("motd", "motd"), ("news", f"news {news_id}"),
                       ("news", f"news {news_id}"), ("motd", "motd")]
    assert await server.stop() == 0
    again = await server_factory(server.database_url, redis_prefix=server.redis_prefix)
    client, _ = await rejoin(again, name)
    assert "There is no message of the day." in await client.command("motd")
