"""Builders change the world from inside the game: the commands end to end, the overlay in
PostgreSQL surviving restarts and `reload world`, reloading without a restart, and
`mud export-world` writing files that load back."""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from mud.world.loader import load_world
from mud.world.overlay import Overlay, OverlayRoom, apply_overlay
from tests.conftest import ServerProcess, join, query, rejoin, wait_for_rows
from tests.test_wizard import with_role

WORLD = Path(__file__).resolve().parent.parent / "world"
LOFT = re.compile(r'\n\[\[room\]\]\nid = "inn_loft".*?(?=\n\[\[room\]\])', re.S)


async def mud(*args: str) -> tuple[int, str, str]:
    """Run the `mud` command; its exit code, standard output and standard error."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mud", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode(), err.decode()


async def audit_rows(server: ServerProcess, character: str, *wanted: tuple[str, str, str]
                     ) -> list[tuple]:
    """The (command, target, outcome) rows audited for character, once every wanted one is
    there (the audit log is written in batches)."""
    return await wait_for_rows(
        server.database_url, "SELECT command, target, outcome FROM audit_log"
        " WHERE character = %s ORDER BY id", character,
        expect=lambda rows: set(wanted) <= set(rows))


@pytest.fixture
def world_copy(tmp_path: Path) -> Path:
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    return world


async def test_builder_commands_change_the_world_and_survive_a_restart(server_factory) -> None:
    server = await server_factory()
    builder, name = await with_role(server, "builder")
    watcher, _ = await join(server)
    assert "Unknown command 'dig'" in await watcher.command("dig up Attic")

    assert "Usage: dig <direction> <room name>" in await builder.command("dig")
    assert "Usage: dig" in await builder.command("dig sideways Old Mill")
    assert "There is already an exit north here, to Market Street. Unlink it first." in \
        await builder.command("dig n Old Mill")
    assert "A name is at most 80 characters." in await builder.command("dig up " + "x" * 81)
    assert "You dig up and make Old Mill (old_mill); its way back is down." in \
        await builder.command("dig u Old Mill")
    assert f"{name} opens a way up." in await watcher.read_until("opens a way up.")
    assert "[Exits: north east south west up]" in await watcher.command("look")
    assert "Old Mill" in await builder.command("up")
    assert "(old_mill_2)" in await builder.command("dig north Old Mill")

    assert "Usage: describe <text>" in await builder.command("describe")
    assert "at most 2000 characters" in await builder.command("describe " + "word " * 500)
    await builder.command('describe Flour dust hangs in the air; "mind the wheel," says a sign.')
    assert "Usage: rename <name>" in await builder.command("rename   ")
    assert "This room (old_mill) is now called The Old Mill." in \
        await builder.command("rename The Old Mill")
    look = await builder.command("look")
    assert 'The Old Mill\nFlour dust hangs in the air; "mind the wheel," says a sign.' in look
    assert "[Exits: north down]" in look

    assert "Usage: link <direction> <room id>" in await builder.command("link east")
    assert "There is no room 'nowhere'." in await builder.command("link east nowhere")
    assert "cannot lead back into the room it leaves" in await builder.command("link e old_mill")
    assert "You link east to Old Mill (old_mill_2), and west from there back here." in \
        await builder.command("link east old_mill_2")
    assert "There is already an exit east here" in await builder.command("link east inn_loft")
    assert "The way back (east from there) is taken already, so there is none." in \
        await builder.command("link west market_street")
    assert "Market Street" in await builder.command("west")
    await builder.command("south")
    assert "The Old Mill" in await builder.command("up")
    assert "Usage: unlink" in await builder.command("unlink")
    assert "There is no exit 'south' here." in await builder.command("unlink s")
    assert "You remove the exit east (to Old Mill) and the way back (west from there)." in \
        await builder.command("unlink e")
    assert "You remove the exit west (to Market Street)." in await builder.command("unlink west")
    assert "[Exits: north down]" in await builder.command("look")
    await builder.command("north")
    assert "[Exits: south]" in await builder.command("look")  # old_mill_2 lost its west exit
    await builder.command("south")

    assert "Usage: iedit <item id> <name|description|keywords|damage|armour|value> <value>" in \
        await builder.command("iedit rusty_sword")
    assert "There is no item 'mithril' in world data." in await builder.command("iedit mithril "
                                                                               "name x")
    assert "'colour' cannot be changed" in await builder.command("iedit rusty_sword colour red")
    assert "'armour' is only for armour items; this is weapon." in \
        await builder.command("iedit rusty_sword armour 3")
    assert "'damage' must be a whole number from 1 to 1000." in \
        await builder.command("iedit rusty_sword damage 0")
    assert "'keywords' must be a list of lowercase words" in \
        await builder.command("iedit rusty_sword keywords notched-blade")
    assert "Essence items are made from essences.toml" in \
        await builder.command("iedit stone_essence name a pebble")
    assert "Item rusty_sword: keywords is now notched, blade." in \
        await builder.command("iedit rusty_sword keywords Notched, BLADE")
    assert "Item rusty_sword: name is now a notched blade." in \
        await builder.command("iedit rusty_sword name a notched blade")
    assert "Item rusty_sword: damage is now 9." in await builder.command("iedit rusty_sword "
                                                                         "damage 9")
    assert "A notched blade lies here." in await watcher.command("look")
    assert "A notched blade:" in await watcher.command("look blade")

    rooms = await query(server.database_url,
                        "SELECT id, zone, name, exits, created_by FROM overlay_rooms ORDER BY id")
    assert rooms == [
        ("old_mill", "greywater", "The Old Mill", {"down": "village_square",
                                                   "north": "old_mill_2"}, name),
        ("old_mill_2", "greywater", "Old Mill", {"south": "old_mill"}, name),
        ("village_square", "greywater", "Village Square",
         {"east": "smithy_lane", "north": "market_street", "south": "south_lane",
          "up": "old_mill", "west": "temple_walk"}, name)]
    assert await query(server.database_url, "SELECT fields FROM overlay_items") == [
        ({"name": "a notched blade", "keywords": ["notched", "blade"], "damage": 9},)]
    audited = await audit_rows(server, name, *((command, target, "ok") for command, target in (
        ("dig", "old_mill"), ("dig", "old_mill_2"), ("describe", "old_mill"),
        ("rename", "old_mill"), ("link", "old_mill_2"), ("unlink", "old_mill"),
        ("iedit", "rusty_sword"))))
    assert any(row[:2] == ("link", "nowhere") and
               row[2].startswith("refused: There is no room 'nowhere'.") for row in audited)

    await builder.quit()
    assert await server.stop() == 0
    again = await server_factory(server.database_url)
    builder, welcome = await rejoin(again, name)
    assert "The Old Mill" in welcome and "Flour dust hangs in the air" in welcome
    assert "Village Square" in await builder.command("down")
    assert "A notched blade lies here." in await builder.command("look")


async def test_reload_world_applies_files_and_moves_players_out_of_rooms_gone(
        server_factory, world_copy: Path) -> None:
    server = await server_factory(extra_env={"MUD_WORLD_DIR": str(world_copy),
                                             "MUD_TICK_INTERVAL": "600"})  # no blows struck
    wizard, wizard_name = await with_role(server, "wizard")
    builder, _ = await with_role(server, "builder")
    player, player_name = await join(server)
    for step in ("north", "west", "up"):
        await player.command(step)
    assert "Inn Loft" in await player.command("look")
    assert "You dig up and make Bell Tower" in await wizard.command("dig up Bell Tower")
    assert "Usage: reload world" in await wizard.command("reload")
    assert "Unknown command 'reload'" in await builder.command("reload world")

    zone = world_copy / "zones" / "greywater.toml"
    text = LOFT.sub("", zone.read_text())
    zone.write_text(text.replace('name = "Market Street"', 'name = "Market Row"'))
    refused = await wizard.command("reload world")
    assert "World not reloaded: 1 problem(s); nothing changed." in refused
    assert "room inn_common_room: exit 'up' leads to unknown room 'inn_loft'" in refused
    assert "Inn Loft" in await player.command("look")

    zone.write_text(zone.read_text().replace('up = "inn_loft", ', ""))
    await wizard.command("spawn cellar_rat")
    assert "You attack a cellar rat!" in await wizard.command("kill rat")
    reloaded = await wizard.command("reload world")
    assert "The world shifts around you, and your fight is over." in reloaded
    assert "World reloaded: 48 rooms" in reloaded
    assert f"Moved to a safe room: {player_name.capitalize()}." in reloaded
    moved = await player.read_until("you find yourself in the Village Square.")
    assert "The world shimmers as it is remade around you." in moved
    assert "The room you were in, Inn Loft, is no more" in moved
    assert "Village Square" in await player.command("look")  # still connected
    look = await wizard.command("look")
    assert "[Exits: north east south west up]" in look
    assert "Elder Maren is here." in look and "cellar rat" not in look  # spawned afresh
    assert "Market Row" in await wizard.command("north")
    await wizard.command("south")
    assert "Bell Tower" in await wizard.command("up")  # the overlay survives the reload
    await wait_for_rows(server.database_url,
                        "SELECT current_room_id FROM characters WHERE name = %s",
                        player_name.capitalize(), expect=lambda r: r == [("village_square",)])
    audited = await audit_rows(server, wizard_name, ("reload", "world", "ok"))  # the last
    assert any(row[:2] == ("reload", "world") and row[2].startswith("refused: World not")
               for row in audited)


async def test_export_world_writes_files_that_load_back(server_factory, tmp_path: Path) -> None:
    server = await server_factory()
    builder, _ = await with_role(server, "builder")
    await builder.command("dig up Bell Tower")
    await builder.command("up")
    await builder.command('describe A bell hangs here. Its rope reads "pull" \\ "push".')
    await builder.command("iedit rusty_sword description Pitted, but \"sharp\" enough.")
    out = tmp_path / "export"
    code, stdout, stderr = await mud("export-world", "--out", str(out),
                                     "--database-url", server.database_url)
    assert code == 0, stderr
    assert "2 room(s) and 1 item(s) changed by builders" in stdout
    assert "wrote zones/greywater.toml: room bell_tower added, room village_square changed" \
        in stdout
    assert f"world exported to {out}: 2 zones, 49 rooms" in stdout
    code, stdout, stderr = await mud("check-world", "--world-dir", str(out))
    assert code == 0, stderr
    assert "world OK: 2 zones, 49 rooms" in stdout
    with (out / "zones" / "greywater.toml").open("rb") as fh:
        rooms = {room["id"]: room for room in tomllib.load(fh)["room"]}
    assert rooms["bell_tower"] == {"id": "bell_tower", "name": "Bell Tower",
                                   "description": 'A bell hangs here. Its rope reads "pull" \\ '
                                                  '"push".',
                                   "exits": {"down": "village_square"}}
    assert rooms["village_square"]["exits"]["up"] == "bell_tower"
    assert rooms["village_square"]["monsters"] == [{"monster": "elder_maren", "count": 1}]
    with (out / "items.toml").open("rb") as fh:
        items = {item["id"]: item for item in tomllib.load(fh)["item"]}
    assert items["rusty_sword"]["description"] == 'Pitted, but "sharp" enough.'
    assert items["rusty_sword"]["damage"] == 4
    assert (out / "monsters.toml").read_bytes() == (WORLD / "monsters.toml").read_bytes()

    code, stdout, _ = await mud("export-world", "--out", str(out),
                                "--database-url", server.database_url)
    assert code == 0 and "world exported" in stdout  # an earlier export is replaced
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    code, _, stderr = await mud("export-world", "--out", str(taken),
                                "--database-url", server.database_url)
    assert code == 1 and "exists and is not empty" in stderr
    assert (taken / "notes.txt").read_text() == "mine"


def test_overlay_entries_the_files_no_longer_fit_are_left_out() -> None:
    files = load_world(WORLD)
    overlay = Overlay(
        {"bell_tower": OverlayRoom("bell_tower", "greywater", "Bell Tower", "A bell.",
                                   {"down": "village_square", "east": "torn_down"}),
         "annex": OverlayRoom("annex", "vanished_zone", "Annex", "Gone.", {}),
         "inn_loft": OverlayRoom("inn_loft", "greywater", "Attic", "Dusty.",
                                 {"down": "inn_common_room"})},
        {"rusty_sword": {"name": "a notched blade", "armour": 3, "damage": 0},
         "moon_rock": {"name": "a moon rock"}})
    world, left_out = apply_overlay(files, overlay)
    assert world.rooms["bell_tower"].exits == {"down": "village_square"}
    assert "annex" not in world.rooms
    loft = world.rooms["inn_loft"]
    assert (loft.name, loft.description, loft.items) == ("Attic", "Dusty.",
                                                         files.rooms["inn_loft"].items)
    sword = world.items["rusty_sword"]
    assert (sword.name, sword.damage) == ("a notched blade", 4)
    assert files.rooms["inn_loft"].name == "Inn Loft"  # the files' world is left as it was
    assert sorted(left_out) == [
        "overlay item moon_rock: not an item of the world files. Left out.",
        "overlay item rusty_sword: 'armour' is only for armour items; this is weapon. "
        "Left out.",
        "overlay item rusty_sword: 'damage' must be a whole number from 1 to 1000. "
        "Left out.",
        "overlay room annex: Its zone 'vanished_zone' is not in the world files. Left out.",
        "overlay room bell_tower: exit 'east' leads to 'torn_down', which is not a room. "
        "Left out."]
