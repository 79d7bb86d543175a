"""Equipment, eating and drinking, containers and examining, over real telnet against a real
server and PostgreSQL: worn slots, durability and container contents live in the inventory
rows (slot, metadata) and survive restarts. Refusals, examining and looking into a container are
tested in memory (tests/test_cmd_items.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from psycopg.types.json import Jsonb

from tests.conftest import cached_copy_dropped, join, query, rejoin, wait_for_rows

WORLD = Path(__file__).resolve().parent.parent / "world"
Row = tuple[str, int, int | None, dict | None]  # item, quantity, slot, metadata

ROWS_SQL = ("SELECT i.item_id, i.quantity, i.slot, i.metadata FROM character_inventory i"
            " JOIN characters c ON c.id = i.character_id WHERE c.name = %s ORDER BY i.item_id,"
            " i.slot NULLS LAST")

POUCH_SQL = ("SELECT i.id, i.metadata FROM character_inventory i JOIN characters c"
             " ON c.id = i.character_id WHERE c.name = %s AND i.item_id = 'small_pouch'")


def item(item_id: str, quantity: int = 1, slot: int | None = None,
         metadata: dict | None = None) -> Row:
    return item_id, quantity, slot, metadata


async def outfitted(server, *rows: Row, **stats: int):
    """A new character who logs in with these inventory rows (and stats), put in the database
    while it is away."""
    client, name = await join(server)
    await client.quit()
    for item_id, quantity, slot, metadata in rows:
        await query(server.database_url,
                    "INSERT INTO character_inventory (character_id, item_id, quantity, slot,"
                    " metadata) SELECT id, %s, %s, %s, %s FROM characters WHERE name = %s",
                    item_id, quantity, slot, Jsonb(metadata) if metadata else None,
                    name.capitalize())
    for column, value in stats.items():
        assert column in ("health", "mana", "stamina", "power", "speed", "spirit")
        await query(server.database_url, f"UPDATE characters SET {column} = %s WHERE name = %s",
                    value, name.capitalize())
    await cached_copy_dropped(server, name)
    client, _ = await rejoin(server, name)
    return client, name.capitalize()


def numbers(score: str) -> tuple[int, str, int]:
    """Attack damage, its skill and armour from `score`."""
    found = re.search(r"Attack (\d+) damage per blow \((\w+)\)\s+Armour (\d+)", score)
    assert found, score
    return int(found[1]), found[2], int(found[3])


def stacks(inventory: str) -> int:
    found = re.search(r"\((\d+)/\d+ stacks\)", inventory)
    return int(found[1]) if found else 0


async def rows_of(server, name: str, expect=lambda rows: True) -> list[tuple]:
    return await wait_for_rows(server.database_url, ROWS_SQL, name, expect=expect)


async def test_wielding_and_wearing_change_score_and_equipment(server) -> None:
    watcher, _ = await join(server)
    hero, name = await outfitted(server, item("rusty_sword"), item("leather_jerkin"))
    await watcher.expect(f"{name} has entered the game")
    before = numbers(await hero.command("score"))
    assert before[1] == "brawling"

    assert "You wield a rusty sword." in await hero.command("wield rusty")
    await watcher.expect(f"{name} wields a rusty sword.")
    assert "You wear a leather jerkin on your body." in await hero.command("wear jerkin")
    await watcher.expect(f"{name} wears a leather jerkin.")

    score = await hero.command("score")
    attack, skill, armour = numbers(score)
    assert (attack - before[0], skill, armour - before[2]) == (4 - 2, "swordsmanship", 2)
    assert "Carrying 0/20 stacks" in score  # worn things take no stack
    assert "You are carrying nothing." in await hero.command("inventory")
    eq = await hero.command("eq")
    assert re.search(r"wield +a rusty sword \(60/60\)", eq), eq
    assert re.search(r"body +a leather jerkin \(100/100\)", eq), eq
    assert re.search(r"head +nothing", eq) and re.search(r"feet +nothing", eq), eq
    assert "Attack 6 damage per blow (swordsmanship)   Armour 2" in eq  # as score says
    await rows_of(server, name, expect=lambda r: r == [("leather_jerkin", 1, 3, None),
                                                       ("rusty_sword", 1, 0, None)])

    assert "You stop wielding a rusty sword." in await hero.command("remove wield")
    await watcher.expect(f"{name} stops wielding a rusty sword.")
    assert "You remove a leather jerkin." in await hero.command("remove jerkin")
    assert numbers(await hero.command("score")) == before
    assert "(2/20 stacks)" in await hero.command("inventory")
    await rows_of(server, name, expect=lambda r: [s for _, _, s, _ in r] == [None, None])
    await hero.close()
    await watcher.close()


async def test_wielding_another_weapon_swaps_the_old_one_into_the_pack(server) -> None:
    hero, name = await outfitted(server, item("rusty_sword"), item("bronze_sword"))
    await hero.command("wield rusty")
    swapped = await hero.command("wield bronze")
    assert "You put a rusty sword back in your pack." in swapped
    assert "You wield a bronze sword." in swapped
    inventory = await hero.command("inventory")
    assert "a rusty sword" in inventory and "bronze" not in inventory
    assert re.search(r"wield +a bronze sword \(120/120\)", await hero.command("equipment"))
    assert numbers(await hero.command("score"))[1] == "swordsmanship"
    await rows_of(server, name, expect=lambda r: r == [("bronze_sword", 1, 0, None),
                                                       ("rusty_sword", 1, None, None)])
    await hero.close()


async def test_a_full_pack_refuses_removing_and_swapping(server) -> None:
    hero, name = await outfitted(
        server, *[item("cracked_pot")] * 18, item("rusty_sword", 2), item("dented_helm"),
        item("bronze_sword", slot=0), item("leather_jerkin", slot=3))
    assert "(20/20 stacks)" in await hero.command("inventory")
    assert ("Your pack is full (20/20 stacks); make room before you remove a leather jerkin."
            in await hero.command("remove jerkin"))
    # one of the two rusty swords would leave the pack, the bronze one come back: 21 stacks
    assert ("Your pack has no room for a bronze sword (20/20 stacks), so you can't swap it"
            " for a rusty sword." in await hero.command("wield rusty"))
    # the helm goes to an empty slot, freeing a stack; the jerkin then fits
    assert "You wear a dented iron helm on your head." in await hero.command("wear helm")
    assert "You remove a leather jerkin." in await hero.command("remove jerkin")
    assert "(20/20 stacks)" in await hero.command("inventory")
    assert "Your pack is full" in await hero.command("remove head")
    await hero.command("drop pot")
    assert "You remove a dented iron helm." in await hero.command("remove head")
    rows = await rows_of(server, name, expect=lambda r: len(r) == 21)  # a pot dropped
    assert [row for row in rows if row[0] != "cracked_pot"] == [
        ("bronze_sword", 1, 0, None), ("dented_helm", 1, None, None),
        ("leather_jerkin", 1, None, None), ("rusty_sword", 2, None, None)]
    await hero.close()


async def test_a_broken_item_is_worn_but_gives_nothing(server) -> None:
    hero, name = await outfitted(
        server, item("rusty_sword", metadata={"durability": 0, "enchantments": ["frost", "glow"]}),
        item("dented_helm", metadata={"durability": 0}))
    before = numbers(await hero.command("score"))
    wielded = await hero.command("wield sword")
    assert "You wield a rusty sword (broken)." in wielded
    assert "It is broken" in wielded
    assert "You wear a dented iron helm (broken) on your head." in await hero.command("wear helm")
    assert numbers(await hero.command("score")) == before  # still brawling, no armour
    eq = await hero.command("eq")
    assert re.search(r"wield +a rusty sword \(0/60\) \(broken\)", eq), eq
    assert "Attack 4 damage per blow (brawling)   Armour 0" in eq
    examined = await hero.command("examine sword")
    for line in ("A rusty sword, weapon (broken)", "pitted with rust",
                 "Damage: 4 (swordsmanship)", "Durability: 0/60 (broken)", "Where: wielded",
                 "Enchantments: frost, glow"):
        assert line in examined, examined
    rows = await rows_of(server, name, expect=lambda r: [s for _, _, s, _ in r] == [2, 0])
    assert rows[1][3] == {"durability": 0, "enchantments": ["frost", "glow"]}
    await hero.close()


async def test_eating_restores_a_pool_and_uses_one_up(server) -> None:
    watcher, _ = await join(server)
    hero, name = await outfitted(server, item("loaf_of_bread", 3), item("healing_herb", 2),
                                 stamina=10, health=30)
    await watcher.expect(f"{name} has entered the game")
    stamina = int(re.search(r"Stamina (\d+)/100", await hero.command("score"))[1])
    assert stamina < 80
    ate = await hero.command("eat bread")
    found = re.search(r"You eat a loaf of bread and regain 20 stamina \((\d+)/100\)\.", ate)
    assert found, ate
    assert int(found[1]) >= stamina + 20
    await watcher.expect(f"{name} eats a loaf of bread.")
    assert "You can't drink that; try eat." in await hero.command("drink bread")
    assert "regain 25 health" in await hero.command("eat herb")
    inventory = await hero.command("inventory")
    assert "a loaf of bread (x2)" in inventory
    assert "a healing herb" in inventory and "a healing herb (x" not in inventory
    await rows_of(server, name, expect=lambda r: r == [("healing_herb", 1, None, None),
                                                       ("loaf_of_bread", 2, None, None)])
    pools = await wait_for_rows(server.database_url,
                                "SELECT stamina, health FROM characters WHERE name = %s", name,
                                expect=lambda r: r[0][0] >= 30 and r[0][1] >= 55)
    assert pools[0][0] >= 30
    await hero.close()
    await watcher.close()


async def test_drinking_a_potion_and_eating_it_refused(server_factory, tmp_path) -> None:
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    (world / "items_test.toml").write_text(
        '[[item]]\nid = "test_tonic"\nname = "a blue tonic"\nkeywords = ["blue", "tonic"]\n'
        'kind = "consumable"\nstackable = true\nconsume = "drink"\n'
        'heal = { pool = "mana", amount = 30 }\ndescription = "A small vial of blue tonic."\n')
    server = await server_factory(extra_env={"MUD_WORLD_DIR": str(world)})
    hero, name = await outfitted(server, item("test_tonic", 2), mana=5)
    assert "You can't eat that; try drink." in await hero.command("eat tonic")
    drank = await hero.command("drink tonic")
    assert re.search(r"You drink a blue tonic and regain 30 mana \(\d+/100\)\.", drank), drank
    assert "Drink it to restore 30 mana" in await hero.command("examine tonic")
    await rows_of(server, name, expect=lambda r: r == [("test_tonic", 1, None, None)])
    await hero.command("drink tonic")
    assert "You don't have any 'tonic'." in await hero.command("drink tonic")
    await hero.close()


async def test_containers_put_get_and_capacity(server) -> None:
    watcher, _ = await join(server)
    hero, name = await outfitted(
        server, item("small_pouch"), item("small_pouch"), item("copper_coin", 7),
        item("healing_herb", 2), item("loaf_of_bread"), item("hunting_knife"),
        item("dented_helm"), item("faded_map"), item("broken_lantern"))
    await watcher.expect(f"{name} has entered the game")
    assert stacks(await hero.command("inventory")) == 9
    assert ("You put a copper coin (x3) in a small pouch."
            in await hero.command("put 3 coin in pouch"))
    await watcher.expect(f"{name} puts a copper coin \\(x3\\) in a small pouch.")
    inventory = await hero.command("inventory")
    assert stacks(inventory) == 9 and "a copper coin (x4)" in inventory
    assert "You put a copper coin (x4) in a small pouch." in await hero.command(
        "put all.coin into pouch")
    assert stacks(await hero.command("inventory")) == 8  # the coins inside take no stack
    for thing in ("herb", "bread", "knife", "helm"):
        assert "You put" in await hero.command(f"put {thing} in pouch")
    assert "A small pouch is full (5/5 stacks)." in await hero.command("put map in pouch")
    assert ("You can't put a small pouch inside another container."
            in await hero.command("put 2.pouch in 1.pouch"))
    assert "You can't put a small pouch inside itself." in await hero.command(
        "put pouch in pouch")
    assert "A faded map is not a container." in await hero.command("put lantern in map")
    assert "Usage: put <item> in <container>" in await hero.command("put map")
    inventory = await hero.command("inventory")
    assert stacks(inventory) == 4 and "a faded map" in inventory
    examined = await hero.command("examine pouch")
    for line in ("Capacity: 5 stacks", "A small pouch holds (5/5 stacks):",
                 "a copper coin (x7)", "a healing herb (x2)", "a hunting knife"):
        assert line in examined, examined
    rows = await rows_of(server, name, expect=lambda r: any(
        m and len(m.get("contents", [])) == 5 for _, _, _, m in r))
    pouch = next(m for i, _, _, m in rows if i == "small_pouch" and m)
    assert pouch["contents"][0] == {"item": "copper_coin", "quantity": 7, "metadata": None}

    assert ("You get a copper coin (x2) from a small pouch."
            in await hero.command("get 2 coin from pouch"))
    await watcher.expect(f"{name} gets a copper coin \\(x2\\) from a small pouch.")
    assert "There is no 'sword' in a small pouch." in await hero.command("get sword from pouch")
    assert "You get a hunting knife from a small pouch." in await hero.command(
        "get knife from pouch")
    assert stacks(await hero.command("inventory")) == 6
    got = await hero.command("get all from pouch")
    assert "a copper coin (x5)" in got and "a dented iron helm" in got
    assert "A small pouch is empty (0/5 stacks)." in await hero.command("examine 1.pouch")
    assert stacks(await hero.command("inventory")) == 9
    await rows_of(server, name, expect=lambda r: all(m is None for _, _, _, m in r))
    await hero.close()
    await watcher.close()


async def test_getting_out_of_a_container_respects_the_pack_limit(server) -> None:
    contents = {"contents": [{"item": "copper_coin", "quantity": 3, "metadata": None},
                             {"item": "hunting_knife", "quantity": 1,
                              "metadata": {"durability": 5}}]}
    hero, name = await outfitted(server, *[item("cracked_pot")] * 18, item("copper_coin"),
                                 item("small_pouch", metadata=contents))
    assert "(20/20 stacks)" in await hero.command("inventory")
    # the coins join the coin stack; the knife needs a stack of its own
    assert "You get a copper coin (x3) from a small pouch." in await hero.command(
        "get coin from pouch")
    assert "You can't carry any more (20 stacks)." in await hero.command("get knife from pouch")
    await hero.command("drop pot")
    assert "You get a hunting knife from a small pouch." in await hero.command(
        "get knife from pouch")
    assert "Durability: 5/80" in await hero.command("examine knife")
    rows = await rows_of(server, name,
                         expect=lambda r: ("hunting_knife", 1, None, {"durability": 5}) in r)
    assert ("copper_coin", 4, None, None) in rows and ("small_pouch", 1, None, None) in rows
    await hero.close()


async def test_a_given_container_keeps_its_contents(server) -> None:
    contents = {"contents": [{"item": "healing_herb", "quantity": 2, "metadata": None}],
                "enchantments": ["silence"]}
    taker, t_name = await join(server)
    giver, _ = await outfitted(server, item("small_pouch", metadata=contents))
    assert f"You give a small pouch to {t_name.capitalize()}." in await giver.command(
        f"give pouch to {t_name}")
    examined = await taker.command("examine pouch")
    assert "a healing herb (x2)" in examined and "Enchantments: silence" in examined
    await rows_of(server, t_name.capitalize(),
                  expect=lambda r: r == [("small_pouch", 1, None, contents)])
    await giver.close()
    await taker.close()


async def test_worn_slots_durability_and_contents_survive_a_restart(server_factory) -> None:
    server = await server_factory()
    hero, name = await outfitted(server, item("rusty_sword", metadata={"durability": 37}),
                                 item("leather_jerkin"), item("small_pouch"),
                                 item("copper_coin", 4), item("healing_herb"))
    await hero.command("wield sword")
    await hero.command("wear jerkin")
    await hero.command("put coin in pouch")
    await hero.command("put herb in pouch")
    await rows_of(server, name, expect=lambda r: [(i, s) for i, _, s, _ in r] == [
        ("leather_jerkin", 3), ("rusty_sword", 0), ("small_pouch", None)])
    assert await server.stop() == 0

    again = await server_factory(server.database_url)
    hero, _ = await rejoin(again, name)
    eq = await hero.command("equipment")
    assert re.search(r"wield +a rusty sword \(37/60\)", eq), eq
    assert re.search(r"body +a leather jerkin \(100/100\)", eq), eq
    examined = await hero.command("examine pouch")
    assert "a copper coin (x4)" in examined and "a healing herb" in examined
    assert "(1/20 stacks)" in await hero.command("inventory")
    saved = await query(again.database_url, POUCH_SQL, name)
    assert saved[0][1] == {"contents": [
        {"item": "copper_coin", "quantity": 4, "metadata": None},
        {"item": "healing_herb", "quantity": 1, "metadata": None}]}
    # dropped and picked up again, the pouch keeps what it holds
    assert "You drop a small pouch." in await hero.command("drop pouch")
    assert "a copper coin (x4)" in await hero.command("examine pouch")
    assert "Pick up a small pouch first." in await hero.command("put coin in pouch")
    assert "You pick up a small pouch." in await hero.command("get pouch")
    assert "a healing herb" in await hero.command("examine pouch")
    # a new row: saved once the pickup is flushed, with the same contents
    again_saved = await wait_for_rows(again.database_url, POUCH_SQL, name,
                                      expect=lambda r: r and r[0][0] != saved[0][0])
    assert again_saved[0][1] == saved[0][1]
    rows = await rows_of(again, name)
    assert rows[1][3] == {"durability": 37}
    await hero.close()


COINS_SQL = ("SELECT coalesce(sum(i.quantity * CASE i.item_id WHEN 'silver_coin' THEN 10 ELSE 1"
             " END), 0) FROM character_inventory i JOIN characters c ON c.id = i.character_id"
             " WHERE c.name = %s AND i.item_id IN ('copper_coin', 'silver_coin')")


async def test_buying_mending_and_selling_at_the_smithy_conserve_coins(server) -> None:
    """50 copper in silver: a knife for 18 (change in copper), a half-worn mace mended for 15,
    a rusty sword sold for 3: 20 copper left, as the database records it."""
    hero, name = await join(server)
    await hero.quit()
    await query(server.database_url,
                "INSERT INTO character_inventory (character_id, item_id, quantity, metadata)"
                " SELECT c.id, i.item, i.quantity, i.metadata FROM characters c,"
                " (VALUES ('silver_coin', 5, NULL::jsonb), ('iron_mace', 1, %s::jsonb),"
                " ('rusty_sword', 1, NULL)) AS i(item, quantity, metadata) WHERE c.name = %s",
                Jsonb({"durability": 80}), name.capitalize())
    await cached_copy_dropped(server, name)
    hero, _ = await rejoin(server, name)
    await hero.command("east")
    assert "Smithy" in await hero.command("east")
    assert "You get 2 copper back in change." in await hero.command("buy knife")
    assert "mends an iron-flanged mace for 15 copper" in await hero.command("repair mace")
    assert "for 3 copper" in await hero.command("sell sword")
    assert "You have 20 copper." in await hero.command("list")
    await hero.quit()
    assert await query(server.database_url, COINS_SQL, name.capitalize()) == [(20,)]
    rows = await query(server.database_url, ROWS_SQL, name.capitalize())
    assert [(r[0], r[3]) for r in rows if r[0] in ("hunting_knife", "iron_mace",
                                                   "rusty_sword")] == [
        ("hunting_knife", None), ("iron_mace", None)]
