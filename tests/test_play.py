"""Playing together over real telnet connections: seeing, talking, moving, carrying."""

from __future__ import annotations

from tests.conftest import carrying, join, query, rejoin, wait_for_rows


async def test_players_see_arrivals_says_and_emotes(player) -> None:
    alice, a_name = await player()
    bob, b_name = await player()
    a, b = a_name.capitalize(), b_name.capitalize()
    # both start in the square; bob walks out and back in
    await bob.command("north")
    assert f"{b} leaves north." in await alice.expect(f"{b} leaves north.")
    await bob.command("south")
    await alice.expect(f"{b} arrives from the north.")
    look = await alice.command("look")
    assert f"{b} is here." in look
    await bob.command("say Hello there, friend!")
    await alice.expect(f"{b} says, 'Hello there, friend!'")
    await alice.command(":waves cheerfully.")
    await bob.expect(f"{a} waves cheerfully.")


async def test_tell_reaches_across_rooms(player) -> None:
    alice, _ = await player()
    bob, b_name = await player()
    await alice.command("west")
    reply = await alice.command(f"tell {b_name.lower()} meet me at the temple")
    assert f"You tell {b_name.capitalize()}, 'meet me at the temple'" in reply
    await bob.expect("tells you, 'meet me at the temple'")
    assert "No one called 'nobodyxyz' is playing." in await alice.command("tell nobodyxyz hi")


async def test_unknown_command_is_named(player) -> None:
    alice, _ = await player()
    assert "Unknown command 'xyzzy'. Type help." in await alice.command("xyzzy")


async def test_prefixes_aliases_and_help(player) -> None:
    alice, _name = await player()
    assert "You are carrying" in await alice.command("inv")
    assert "normal rank" in await alice.command("sco")
    assert "Village Square" in await alice.command("l")
    helped = await alice.command("help say")
    assert "Say something to everyone in the room" in helped
    everything = await alice.command("help")
    for word in ("look", "get", "give", "tell", "quit"):
        assert f"  {word} " in everything


async def test_movement_by_direction_name_and_custom_exit(player) -> None:
    alice, _ = await player()
    assert "Market Street" in await alice.command("n")
    assert "North Gate" in (await alice.command("north"))
    outside = await alice.command("gate")  # a custom exit typed by its name
    assert "Outside the North Gate" in outside
    back = await alice.command("go gate")
    assert back.lstrip().startswith("North Gate")
    assert "You can't go that way." in await alice.command("go nowhere")
    exits = await alice.command("exits")
    assert "gate" in exits and "south" in exits


async def test_get_drop_give_with_targets(server_factory) -> None:
    server = await server_factory()  # its own, so floor items are where the world puts them
    alice, a_name = await join(server)
    bob, b_name = await join(server)
    await alice.expect("has entered the game")
    assert "You pick up a rusty sword." in await alice.command("get sword")
    await alice.command("east")  # the smithy lane holds a bronze sword
    await bob.command("east")
    assert "You pick up a bronze sword." in await alice.command("get sword")
    assert "You see no 'sword' here." in await alice.command("get sword")
    # 2.sword is the second sword carried: the bronze one
    given = await alice.command(f"give 2.sword to {b_name.lower()}")
    assert f"You give a bronze sword to {b_name.capitalize()}." in given
    await bob.expect(f"{a_name.capitalize()} gives you a bronze sword.")
    assert "a bronze sword" in await bob.command("inventory")
    assert "bronze" in await bob.command("look sword")
    assert "You drop a bronze sword." in await bob.command("drop all.sword")
    assert "A bronze sword lies here." in await bob.command("look")
    assert "There is no 'nobody' here." in await alice.command("give sword nobody")
    assert "You don't have any 'shield'." in await alice.command(f"give shield {b_name}")
    rows = await wait_for_rows(
        server.database_url,
        "SELECT count(*) FROM character_inventory i JOIN characters c ON c.id = i.character_id"
        " WHERE c.name = %s", b_name.capitalize(), expect=lambda r: r == [(0,)])
    assert rows == [(0,)]


async def test_stacks_and_counts(server_factory) -> None:
    server = await server_factory()  # its own, so floor items are where the world puts them
    alice, a_name = await join(server)
    bob, b_name = await join(server)
    await alice.expect("has entered the game")
    assert "You pick up a copper coin (x5)." in await alice.command("get all.coin")
    await alice.command(f"give 2 coin {b_name}")
    await bob.expect("gives you a copper coin \\(x2\\)")
    rows = await wait_for_rows(
        server.database_url,
        "SELECT c.name, i.quantity FROM character_inventory i"
        " JOIN characters c ON c.id = i.character_id"
        " WHERE c.name IN (%s, %s) AND i.item_id = 'copper_coin' ORDER BY c.name",
        a_name.capitalize(), b_name.capitalize(),
        expect=lambda r: dict(r).get(b_name.capitalize()) == 2)
    assert sum(q for _, q in rows) == 5


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


async def test_a_full_inventory_refuses_gets_and_gifts_until_it_grows(server) -> None:
    full, full_name = await carrying(server, *["rusty_sword"] * 20)
    giver, _ = await carrying(server, "ember_essence", "gale_essence")
    assert "(20/20 stacks)" in await full.command("inventory")
    assert f"{full_name.capitalize()} can't carry any more." in await giver.command(
        f"give ember {full_name}")
    await giver.command("drop gale")
    assert "You can't carry any more (20 stacks)." in await full.command("get gale")

    await full.quit()
    await query(server.database_url,
                "UPDATE characters SET inventory_expansion = 1 WHERE name = %s",
                full_name.capitalize())
    full, _ = await rejoin(server, full_name)
    assert "Carrying 20/30 stacks" in await full.command("score")
    assert "You pick up a gale essence." in await full.command("get gale")
    assert f"You give an ember essence to {full_name.capitalize()}." in await giver.command(
        f"give ember {full_name}")
    assert "(22/30 stacks)" in await full.command("inventory")
