"""Coins are items: a currency item counts for its value in copper. Paying takes coins from the
pack, the smallest first, and gives change in the largest coins that make it; being paid gives
the largest coins too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mud.game.model import Character, InventoryItem
from mud.world.items import ItemTemplate


def coins(ch: Character, items: Mapping[str, ItemTemplate]) -> list[InventoryItem]:
    """The currency rows in ch's pack, the least valuable first."""
    return sorted((row for row in ch.carried if items[row.item_id].kind == "currency"),
                  key=lambda row: items[row.item_id].value)


def wealth(ch: Character, items: Mapping[str, ItemTemplate]) -> int:
    """What the coins in ch's pack count for, in copper."""
    return sum(items[row.item_id].value * row.quantity for row in coins(ch, items))


def denominations(items: Mapping[str, ItemTemplate]) -> list[ItemTemplate]:
    """The world's coins, the most valuable first."""
    return sorted((t for t in items.values() if t.kind == "currency"), key=lambda t: -t.value)


def in_coins(amount: int, items: Mapping[str, ItemTemplate]) -> list[tuple[str, int]]:
    """amount in the fewest coins: (item id, how many), the most valuable first. What the
    smallest coin cannot make is left out (a world whose smallest coin is worth more than 1)."""
    made = []
    for coin in denominations(items):
        count, amount = divmod(amount, coin.value)
        if count:
            made.append((coin.id, count))
    return made


def coin_entries(amount: int, items: Mapping[str, ItemTemplate]) -> list[tuple[str, int, bool]]:
    """amount in coins as (item id, how many, stackable) entries, as Character.fits takes them."""
    return [(coin, count, True) for coin, count in in_coins(amount, items)]


def can_receive(ch: Character, amount: int, items: Mapping[str, ItemTemplate],
                freed: int = 0) -> bool:
    """Whether amount in coins fits in ch's pack (with freed stacks emptied first)."""
    return ch.fits(coin_entries(amount, items), freed)


def receive(ch: Character, amount: int, items: Mapping[str, ItemTemplate]) -> None:
    """Give ch amount in coins (the caller checked can_receive)."""
    for coin, count in in_coins(amount, items):
        ch.add_item(coin, count, True)


@dataclass(frozen=True)
class Payment:
    """The coins a payment takes from the pack (row, how many) and the change it gives back."""

    taken: tuple[tuple[InventoryItem, int], ...]
    change: int

    @property
    def emptied(self) -> int:
        """Pack stacks the payment empties (room for what is bought, or for the change)."""
        return sum(1 for row, count in self.taken if count >= row.quantity)


def plan_payment(ch: Character, amount: int, items: Mapping[str, ItemTemplate]
                 ) -> Payment | None:
    """How ch pays amount: the smallest coins first, then the change (what the last coin taken
    paid beyond amount). None when ch has too little. Nothing is taken yet (see settle)."""
    if wealth(ch, items) < amount:
        return None
    taken, paid = [], 0
    for row in coins(ch, items):
        if paid >= amount:
            break
        value = items[row.item_id].value
        count = min(row.quantity, -(-(amount - paid) // value))  # enough to cover what is left
        taken.append((row, count))
        paid += count * value
    return Payment(tuple(taken), paid - amount)


def settle(ch: Character, payment: Payment, items: Mapping[str, ItemTemplate]) -> None:
    """Take payment's coins and give its change (the caller checked the change fits)."""
    for row, count in payment.taken:
        ch.remove_item(row, count)
    receive(ch, payment.change, items)
