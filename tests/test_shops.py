"""Shops and money in memory on the bundled world: prices and payments as rules, then list, buy
(with change), sell, value and repair at the shopkeepers, coins conserved; the stock restocks on
its timer and is carried over a reboot. Buying, selling and repairing against PostgreSQL run end
to end in tests/test_gameplay.py."""

from __future__ import annotations

from typing import Any

import pytest

from mud.game import snapshot
from mud.game.model import InventoryItem
from mud.game.money import in_coins, plan_payment, settle, wealth
from mud.game.shops import offer, price, repair_cost
from mud.world.shops import parse_shop
from tests.harness import Harness, bundled_world

ITEMS = bundled_world().items
SHOPS = bundled_world().shops


def coins_of(player: Any) -> dict[str, int]:
    return {row.item_id: row.quantity for row in player.ch.carried
            if ITEMS[row.item_id].kind == "currency"}


def test_prices_offers_and_repairs_follow_value_markup_and_wear() -> None:
    smithy, store = SHOPS["smithy"], SHOPS["general_store"]
    mace = ITEMS["iron_mace"]  # value 60, durability 160
    assert price(smithy, mace) == 90  # 150%
    assert price(store, ITEMS["loaf_of_bread"]) == 3  # 2 at 150%, rounded up
    whole = InventoryItem(None, "iron_mace")  # type: ignore[arg-type]
    half = InventoryItem(None, "iron_mace", metadata={"durability": 80})  # type: ignore[arg-type]
    broken = InventoryItem(None, "iron_mace", metadata={"durability": 0})  # type: ignore[arg-type]
    assert offer(smithy, mace, whole) == 24 and offer(smithy, mace, half) == 12
    assert offer(smithy, mace, broken) == 0
    assert offer(store, mace, whole) == 0  # the store buys no weapons
    assert repair_cost(smithy, mace, whole) == 0
    assert repair_cost(smithy, mace, half) == 15 and repair_cost(smithy, mace, broken) == 30
    assert repair_cost(store, mace, half) is None


def test_payments_take_the_smallest_coins_first_and_give_change_in_the_largest() -> None:
    alice = Harness().player("Alice")
    alice.carry("copper_coin", 5)
    alice.carry("silver_coin", 2)
    assert wealth(alice.ch, ITEMS) == 25
    payment = plan_payment(alice.ch, 23, ITEMS)
    assert payment is not None and payment.change == 2
    settle(alice.ch, payment, ITEMS)
    assert coins_of(alice) == {"copper_coin": 2}
    assert plan_payment(alice.ch, 3, ITEMS) is None
    assert in_coins(137, ITEMS) == [("silver_coin", 13), ("copper_coin", 7)]


def test_a_shop_that_names_no_kind_it_could_trade_is_refused() -> None:
    problems: list[str] = []
    parse_shop(lambda entry, message: problems.append(message), "shop #1", {
        "id": "x", "keeper": "harrow_merchant", "buys": ["currency"], "markup": 50,
        "stock": [{"item": "loaf_of_bread", "quantity": 0}]})
    assert any("'buys' must be a list of item kinds" in p for p in problems)
    assert "'markup' must be a whole number from 100 to 1000" in problems
    assert "'quantity' must be a whole number from 1 to 1000" in problems


async def test_buy_sell_and_value_at_the_general_store_conserve_coins() -> None:
    harness = Harness()
    alice = harness.player("Alice", room="general_store")
    bob = harness.player("Bob", room="general_store")
    assert "There is no shopkeeper here." not in await alice.run("list")
    listed = alice.output[-1]
    assert "Harrow the shopkeeper sells:" in listed and "a loaf of bread" in listed
    assert "3 copper  (10 left)" in listed and "You have 0 copper." in listed
    assert "That costs 6 copper; you have 0." in await alice.run("buy bread 2")

    alice.carry("silver_coin", 1)
    bought = await alice.run("buy 2 bread")
    assert "You buy a loaf of bread (x2) from Harrow the shopkeeper for 6 copper." in bought
    assert "You get 4 copper back in change." in bought
    assert "Alice buys a loaf of bread (x2) from Harrow the shopkeeper." in bob.heard()
    assert coins_of(alice) == {"copper_coin": 4}
    assert "\n  Coins worth 4 copper\n  Carrying " in await alice.run("score")
    assert "(8 left)" in await alice.run("list")
    assert "There are only 8 for sale." in await alice.run("buy 9 bread")
    assert "Harrow the shopkeeper sells no 'sword'" in await alice.run("buy sword")

    alice.carry("wolf_pelt", 3)  # value 6: the store pays 40%, 2 copper each
    assert "Harrow the shopkeeper would pay 2 copper for a grey wolf pelt." in await alice.run(
        "value pelt")
    assert "You sell a grey wolf pelt (x2) to Harrow the shopkeeper for 4 copper." in await \
        alice.run("sell 2 pelt")
    assert coins_of(alice) == {"copper_coin": 8}
    assert "pelt" not in await alice.run("list")  # collected for a quest: not sold on
    alice.carry("broken_lantern")
    assert "You sell a broken lantern to Harrow the shopkeeper for 1 copper." in await \
        alice.run("sell lantern")  # worth 1: 40% of it is still a coin
    assert "a broken lantern" in await alice.run("list")  # for sale from now on
    alice.carry("rusty_sword")
    assert "That is not something this shop buys." in await alice.run("sell sword")
    assert "You carry no 'lantern'." in await alice.run("sell lantern")
    await alice.run("west")
    assert "There is no shopkeeper here." in await alice.run("list")


async def test_the_smith_mends_for_coins_and_the_store_does_not() -> None:
    harness = Harness()
    hero = harness.player("Alice", room="smithy")
    hero.carry("iron_mace", metadata={"durability": 80})
    hero.carry("copper_coin", 20)
    assert "Brann the smith would mend:\n  an iron-flanged mace: 15 copper" in await hero.run(
        "repair")
    mended = await hero.run("repair mace")
    assert "Brann the smith mends an iron-flanged mace for 15 copper. It is as good as new." \
        in mended
    assert coins_of(hero) == {"copper_coin": 5}
    assert all(row.metadata is None for row in hero.ch.inventory if row.item_id == "iron_mace")
    assert "That needs no mending." in await hero.run("repair mace")
    assert "Nothing you have needs mending." in await hero.run("repair")
    await hero.run("west")
    assert "There is no one here who mends things." in await hero.run("repair mace")


async def test_the_stock_restocks_on_its_timer_and_outlasts_a_reboot() -> None:
    harness = Harness()
    alice = harness.player("Alice", room="inn_common_room")
    alice.carry("silver_coin", 10)
    assert "You buy a healing draught (x4)" in await alice.run("buy 4 draught")
    assert "healing draught" not in await alice.run("list")
    data = snapshot.take(harness.game)
    again = Harness(harness.game.world)
    again.clock.time = harness.clock.time
    assert snapshot.restore(again.game, data) == []
    bob = again.player("Bob", room="inn_common_room")
    assert "healing draught" not in await bob.run("list")  # still sold out after the reboot
    again.advance(SHOPS["drowned_lantern"].restock)
    assert "a healing draught" in await bob.run("list")


@pytest.mark.parametrize("shop", sorted(SHOPS))
def test_every_bundled_shop_sells_what_it_is_worth(shop: str) -> None:
    template = SHOPS[shop]
    assert template.stock
    for item_id, _ in template.stock:
        assert price(template, ITEMS[item_id]) >= ITEMS[item_id].value > 0
