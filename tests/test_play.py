"""Playing together over real telnet connections: telling across rooms, `who`, and quitting
saves. Seeing, talking, moving and carrying are tested in memory: tests/test_cmd_play.py and
tests/test_cmd_items.py."""

from __future__ import annotations

from tests.conftest import query


async def test_tell_reaches_across_rooms(player) -> None:
    alice, _ = await player()
    bob, b_name = await player()
    await alice.command("west")
    reply = await alice.command(f"tell {b_name.lower()} meet me at the temple")
    assert f"You tell {b_name.capitalize()}, 'meet me at the temple'" in reply
    await bob.expect("tells you, 'meet me at the temple'")
    assert "No one called 'nobodyxyz' is playing." in await alice.command("tell nobodyxyz hi")


async def test_who_lists_everyone(player) -> None:
    alice, a_name = await player()
    _, b_name = await player()
    who = await alice.command("who")
    assert a_name.capitalize() in who and b_name.capitalize() in who


async def test_quit_saves_and_says_goodbye(player, server) -> None:
    alice, name = await player()
    await alice.command("south")
    assert "saved" in await alice.quit()
    rows = await query(server.database_url,
                       "SELECT current_room_id FROM characters WHERE name = %s",
                       name.capitalize())
    assert rows == [("south_lane",)]
