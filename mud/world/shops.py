"""Shops from shops.toml: a shopkeeper (a peaceful monster) who sells its stock at a markup on
the items' value, buys kinds of items below it, restocks on a timer and may repair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mud.world.fields import Problem, number, table_list, text, unknown_keys
from mud.world.items import KINDS

TRADED_KINDS = tuple(k for k in KINDS if k not in ("currency", "essence", "quest"))
PERCENT_MAX = 1000


@dataclass(frozen=True)
class ShopTemplate:
    id: str
    keeper: str  # a peaceful monster id: the shop is where it stands
    markup: int  # percent of an item's value a buyer pays (at least 1 copper)
    buys_at: int  # percent of an item's value the keeper pays for it (0: buys nothing)
    buys: tuple[str, ...]  # the kinds of items it buys
    restock: int  # seconds between restocks, up to the stock below
    stock: tuple[tuple[str, int], ...]  # (item id, how many after a restock)
    repair: int  # percent of an item's value a full repair costs (0: no repairs here)


def parse_shop(problem: Problem, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    unknown_keys(problem, entry, data, {"id", "keeper", "markup", "buys_at", "buys", "restock",
                                        "stock", "repair"})
    buys = data.get("buys", [])
    if not isinstance(buys, list) or not all(kind in TRADED_KINDS for kind in buys):
        problem(entry, f"'buys' must be a list of item kinds from {', '.join(TRADED_KINDS)}")
        buys = []
    stock = []
    for index, raw in enumerate(table_list(problem, entry, data, "stock"), 1):
        where = f"{entry}, stock #{index}"
        unknown_keys(problem, where, raw, {"item", "quantity"})
        stock.append((str(raw.get("item")), number(problem, where, raw, "quantity", 1, 1000, 1)))
    return {"keeper": text(problem, entry, data, "keeper"),
            "markup": number(problem, entry, data, "markup", 100, PERCENT_MAX, 150),
            "buys_at": number(problem, entry, data, "buys_at", 0, 100, 40),
            "buys": tuple(buys), "restock": number(problem, entry, data, "restock", 10, 86_400,
                                                  600),
            "stock": tuple(stock), "repair": number(problem, entry, data, "repair", 0, 100, 0)}
