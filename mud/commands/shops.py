"""Trading with shopkeepers: list, buy, sell, value, and repair where the keeper mends. Prices
are in copper; coins are items, and change comes in the largest coins that make it."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.commands.targets import TargetSpec, select
from mud.game import shops
from mud.game.errors import GameError
from mud.game.mobs import Mob
from mud.game.model import InventoryItem
from mud.game.money import wealth
from mud.game.shops import Shop
from mud.text import counted, upper_first


def _shop(ctx: Context) -> tuple[Mob, Shop] | None:
    found = ctx.game.shop_in(ctx.room)
    if found is None:
        ctx.send("There is no shopkeeper here.")
    return found


def _coins(amount: int) -> str:
    return f"{amount} copper"


def _change(amount: int) -> str:
    return f" You get {_coins(amount)} back in change." if amount else ""


@command("list", category="items")
def list_stock(ctx: Context) -> None:
    """What the shopkeeper here sells, at what price, and how many are left."""
    found = _shop(ctx)
    if found is None:
        return
    keeper, shop = found
    items = ctx.game.world.items
    keeper_name = upper_first(keeper.name)
    if not shop.stock:
        ctx.send(f"{keeper_name} has nothing for sale just now.")
        return
    rows = sorted(((shops.price(shop.template, items[i]), items[i].name, count)
                   for i, count in shop.stock.items()))
    width = max(len(name) for _, name, _ in rows)
    lines = [f"  {name:<{width}}  {cost:>5} copper  ({count} left)" for cost, name, count in rows]
    ctx.send(f"{keeper_name} sells:\n" + "\n".join(lines)
             + f"\nYou have {_coins(wealth(ctx.ch, items))}. Type 'buy <item> [count]'.")


def _split_count(args: str) -> str:
    """`bread 3` as `3 bread`: the count may come first or last."""
    words = args.split()
    if len(words) == 2 and words[1].isascii() and words[1].isdigit():
        return f"{words[1]} {words[0]}"
    return args


@command("buy", category="items")
def buy(ctx: Context) -> None:
    """Buy from the shopkeeper here.

    Usage: buy <item> [count]      buy 3 bread
    """
    found = _shop(ctx)
    if found is None:
        return
    keeper, shop = found
    spec = ctx.target_spec(_split_count(ctx.args), "buy")
    if spec is None:
        return
    items = ctx.game.world.items
    on_sale = select(sorted(shop.stock), spec, lambda i: items[i].keywords)
    if not on_sale or spec.every:
        ctx.send(f"{upper_first(keeper.name)} sells no '{ctx.args[:30]}'. Type 'list'."
                 if not on_sale else "Buy one thing at a time: buy <item> [count].")
        return
    item = items[on_sale[0]]
    count = spec.count or 1
    try:
        cost, change = shops.buy(ctx.ch, shop, item, count, items)
    except GameError as exc:
        ctx.send(exc.message)
        return
    ctx.send(f"You buy {counted(item.name, count)} from {keeper.name} for {_coins(cost)}."
             + _change(change))
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} buys {counted(item.name, count)} from "
                                 f"{keeper.name}.", exclude=[ctx.ch], actor=ctx.ch)


def _carried(ctx: Context, verb: str) -> tuple[Mob, Shop, TargetSpec, list[InventoryItem]] | None:
    """The shop here, the target and the pack rows it names (the player told why when none)."""
    found = _shop(ctx)
    if found is None:
        return None
    spec = ctx.target_spec(ctx.args, verb)
    if spec is None:
        return None
    rows = select(ctx.ch.carried, spec, ctx.item_words)
    if not rows:
        ctx.send(f"You carry no '{ctx.args[:30]}'.")
        return None
    return found[0], found[1], spec, rows


@command("sell", category="items")
def sell(ctx: Context) -> None:
    """Sell something you carry to the shopkeeper here.

    Usage: sell <item>      sell 3 pelt      sell all.pelt
    """
    found = _carried(ctx, "sell")
    if found is None:
        return
    keeper, shop, spec, rows = found
    items = ctx.game.world.items
    sold: dict[str, int] = {}
    earned, refusal = 0, ""
    kept_back = ctx.game.world.collected_by_quests()
    for row in rows if spec.every else rows[:1]:
        for _ in range(spec.count or (row.quantity if spec.every else 1)):
            if not ctx.ch.in_pack(row):
                break
            try:
                earned += shops.sell(ctx.ch, shop, row, items, row.item_id not in kept_back)
            except GameError as exc:
                refusal = exc.message
                break
            sold[row.item_id] = sold.get(row.item_id, 0) + 1
    if not sold:
        ctx.send(refusal)
        return
    what = ", ".join(counted(items[i].name, n) for i, n in sold.items())
    ctx.send(f"You sell {what} to {keeper.name} for {_coins(earned)}."
             + (f" {refusal}" if refusal else ""))
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} sells {what} to {keeper.name}.",
                       exclude=[ctx.ch], actor=ctx.ch)


@command("value", category="items")
def value(ctx: Context) -> None:
    """What the shopkeeper here would pay for something you carry. Usage: value <item>"""
    found = _carried(ctx, "value")
    if found is None:
        return
    keeper, shop, _, rows = found
    item = ctx.game.world.items[rows[0].item_id]
    offered = shops.offer(shop.template, item, rows[0])
    name = upper_first(keeper.name)
    ctx.send(f"{name} would pay {_coins(offered)} for {item.name}." if offered else
             f"{name} would not buy {item.name}.")


@command("repair", "mend", category="items")
def repair(ctx: Context) -> None:
    """Have the smith mend a weapon or armour you wear or carry, or see what mending costs.

    Usage: repair      repair <item>
    """
    found = ctx.game.shop_in(ctx.room)
    if found is None or not found[1].template.repair:
        ctx.send("There is no one here who mends things.")
        return
    keeper, shop = found
    items, ch = ctx.game.world.items, ctx.ch
    if not ctx.args:
        costs = [(row, shops.repair_cost(shop.template, items[row.item_id], row))
                 for row in ch.inventory]
        lines = [f"  {items[row.item_id].name}: {_coins(cost)}" for row, cost in costs if cost]
        ctx.send(f"{upper_first(keeper.name)} would mend:\n" + "\n".join(lines) if lines else
                 "Nothing you have needs mending.")
        return
    spec = ctx.target_spec(ctx.args, "repair")
    if spec is None:
        return
    rows = select(ch.inventory, spec, ctx.item_words)
    if not rows:
        ctx.send(f"You have no '{ctx.args[:30]}'.")
        return
    try:
        cost = shops.repair(ch, shop, rows[0], items)
    except GameError as exc:
        ctx.send(exc.message)
        return
    ctx.send(f"{upper_first(keeper.name)} mends {items[rows[0].item_id].name} for "
             f"{_coins(cost)}. It is as good as new.")
