"""Shops at play: what a keeper has for sale now (restocked when its timer has run out, looked
at lazily), and the prices: buying at a markup on an item's value, selling below it (less for a
worn weapon or armour), mending by what an item has lost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mud.game.equipment import durability_left
from mud.game.errors import GameError
from mud.game.model import Character, InventoryItem
from mud.game.money import can_receive, coin_entries, plan_payment, receive, settle, wealth
from mud.world.items import ItemTemplate
from mud.world.shops import ShopTemplate

RESOLD_MAX = 20  # of one item bought from players, kept for sale beyond the restocked stock


@dataclass
class Shop:
    template: ShopTemplate
    stock: dict[str, int] = field(default_factory=dict)  # item id -> how many for sale
    restock_at: float = 0.0  # when the stock is next made up again

    def restock_if_due(self, now: float) -> None:
        if now >= self.restock_at:
            for item_id, quantity in self.template.stock:
                self.stock[item_id] = max(self.stock.get(item_id, 0), quantity)
            self.restock_at = now + self.template.restock

    def take(self, item_id: str, count: int) -> None:
        left = self.stock[item_id] - count
        if left > 0:
            self.stock[item_id] = left
        else:
            del self.stock[item_id]

    def put(self, item_id: str) -> None:
        """An item a player sold, for sale from now on (up to RESOLD_MAX of it)."""
        listed = dict(self.template.stock).get(item_id, 0)
        self.stock[item_id] = min(self.stock.get(item_id, 0) + 1, listed + RESOLD_MAX)


def price(shop: ShopTemplate, item: ItemTemplate) -> int:
    """What one item costs a buyer: its value at the shop's markup, rounded up, at least 1."""
    return max(1, -(-item.value * shop.markup // 100))


def _condition(row: InventoryItem, item: ItemTemplate) -> tuple[int, int]:
    """(durability left, whole) of an item that wears; (1, 1) for one that does not."""
    left = durability_left(row, item)
    return (1, 1) if left is None else (max(0, left), item.durability)


def offer(shop: ShopTemplate, item: ItemTemplate, row: InventoryItem) -> int:
    """What the keeper pays for one of row: its value at buys_at, less by what it has lost of
    its durability, at least 1 copper; 0 when the shop does not buy such things, or it is
    broken."""
    if item.kind not in shop.buys or item.value < 1 or not shop.buys_at:
        return 0
    left, whole = _condition(row, item)
    return max(1, item.value * shop.buys_at * left // (100 * whole)) if left else 0


def repair_cost(shop: ShopTemplate, item: ItemTemplate, row: InventoryItem) -> int | None:
    """What mending row to whole costs here: None when this keeper does not mend it (no
    repairs here, or it does not wear), 0 when it needs none."""
    if not shop.repair or not item.durability:
        return None
    left, whole = _condition(row, item)
    lost = whole - left
    return 0 if lost <= 0 else max(1, -(-item.value * shop.repair * lost // (100 * whole)))


def mend(row: InventoryItem) -> None:
    """Make row whole again: its durability back to the template's."""
    metadata = {key: value for key, value in (row.metadata or {}).items()
                if key != "durability"}
    row.metadata = metadata or None


BUY_MAX = 100  # items in one purchase


def _charge(ch: Character, amount: int, items: Mapping[str, ItemTemplate], costs: str,
            adding: list[tuple[str, int, bool]] | None = None) -> int:
    """Take amount in coins from ch, all or nothing, with room checked for the change and for
    what is being bought (adding); the change given. costs begins the refusal when ch has too
    little: "That costs", "Mending it costs"."""
    payment = plan_payment(ch, amount, items)
    if payment is None:
        raise GameError("too_poor", f"{costs} {amount} copper; you have {wealth(ch, items)}.")
    if not ch.fits((adding or []) + coin_entries(payment.change, items), payment.emptied):
        raise GameError("pack_full", "You cannot carry that much more." if adding else
                        "You have no room for your change.")
    settle(ch, payment, items)
    return payment.change


def buy(ch: Character, shop: Shop, item: ItemTemplate, count: int,
        items: Mapping[str, ItemTemplate]) -> tuple[int, int]:
    """ch buys count of item from shop: all or nothing. Returns (cost, change given)."""
    if count > BUY_MAX:
        raise GameError("too_many", f"One purchase is at most {BUY_MAX} items.")
    available = shop.stock.get(item.id, 0)
    if count > available:
        raise GameError("out_of_stock", f"There {'is' if available == 1 else 'are'} only "
                                        f"{available} for sale.")
    cost = price(shop.template, item) * count
    bought = [(item.id, count, item.stackable)]
    change = _charge(ch, cost, items, "That costs", bought)
    ch.add_items(bought)
    shop.take(item.id, count)
    return cost, change


def sell(ch: Character, shop: Shop, row: InventoryItem, items: Mapping[str, ItemTemplate],
         resell: bool = True) -> int:
    """ch sells one of row (from the pack) to shop, which puts it up for sale unless resell is
    False (what quests ask to be collected is not sold on). Returns what it paid."""
    item = items[row.item_id]
    paid = offer(shop.template, item, row)
    if paid < 1:
        raise GameError("not_bought", "That is not something this shop buys."
                        if item.kind not in shop.template.buys or item.value < 1
                        else "That is worth nothing here in its state.")
    if not can_receive(ch, paid, items, freed=1 if row.quantity == 1 else 0):
        raise GameError("pack_full", "You have no room for the coins.")
    ch.remove_item(row, 1)
    receive(ch, paid, items)
    if resell:
        shop.put(row.item_id)
    return paid


def repair(ch: Character, shop: Shop, row: InventoryItem, items: Mapping[str, ItemTemplate]
           ) -> int:
    """Mend row (worn or carried) for its repair cost at shop. Returns the cost."""
    item = items[row.item_id]
    cost = repair_cost(shop.template, item, row)
    if cost is None:
        raise GameError("not_repaired", "That is not something mended here.")
    if cost == 0:
        raise GameError("whole", "That needs no mending.")
    _charge(ch, cost, items, "Mending it costs")
    mend(row)
    return cost


def take_a_bed(ch: Character, price: int, items: Mapping[str, ItemTemplate]) -> None:
    """ch pays price for a bed and lies down in it: resting, at the bed's faster rate."""
    if ch.resting and ch.in_bed:
        raise GameError("in_bed", "You are already in bed.")
    if all(getattr(ch, pool) >= ch.pool_max(pool) for pool in ("health", "mana", "stamina")):
        raise GameError("rested", "You are rested already: a bed would be wasted on you.")
    _charge(ch, price, items, "A bed here costs")
    ch.resting, ch.in_bed = True, True
