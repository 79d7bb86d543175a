"""Quests: the log, and what a giver in the room offers, takes back and rewards."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.game import quests
from mud.game.mobs import Mob
from mud.game.model import QuestProgress
from mud.game.progress import grant_all
from mud.text import upper_first
from mud.world.quests import Objective, QuestTemplate

USAGE = ("Usage: quest list | quest accept <number or name> | quest abandon <number or name>"
         " | quest complete | quest info <number or name>")


def _givers(ctx: Context) -> list[Mob]:
    return [m for m in ctx.room.mobs if m.template.peaceful
            and any(q.giver == m.template.id for q in ctx.game.world.quests.values())]


def _describe(ctx: Context, row: QuestProgress | None, objective: Objective) -> str:
    world = ctx.game.world
    if objective.kind == "kill":
        what = f"Kill {world.monsters[objective.target].name}"
    elif objective.kind == "collect":
        what = f"Bring {world.items[objective.target].name}"
    elif objective.kind == "visit":
        what = f"Stand {world.rooms[objective.target].where}"
    else:
        what = (f"Give {world.items[objective.target].name} to "
                f"{world.monsters[objective.to].name}")
    count = quests.done(ctx.ch, row, objective) if row is not None else 0
    return f"{what}: {count}/{objective.count}"


def _active(ctx: Context) -> list[tuple[QuestProgress, QuestTemplate]]:
    found = []
    for row in quests.active(ctx.ch):
        quest = ctx.game.world.quests.get(row.quest_id)
        if quest is not None:
            found.append((row, quest))
    return found


def _pick(choices: list[QuestTemplate], word: str) -> QuestTemplate | None:
    if word.isascii() and word.isdigit() and 1 <= int(word) <= len(choices):
        return choices[int(word) - 1]
    word = word.lower()
    return next((q for q in choices if q.name.lower().startswith(word) or q.id == word), None)


@command("quests", "journal", category="quests")
def quest_log(ctx: Context) -> None:
    """Your quest log: every active quest with its objectives and how far you are."""
    active = _active(ctx)
    if not active:
        ctx.send("You have no quests. Look for someone in need of help: 'quest list' where "
                 "they stand.")
        return
    lines = ["Your quests:"]
    for index, (row, quest) in enumerate(active, 1):
        ready = " (ready to turn in)" if quests.is_complete(ctx.ch, row, quest) else ""
        giver = ctx.game.world.monsters[quest.giver].name
        lines.append(f"  {index}. {quest.name}{ready}, for {giver}")
        lines += [f"       {_describe(ctx, row, o)}" for o in quest.objectives]
    ctx.send("\n".join(lines))


@command("quest", category="quests")
def quest(ctx: Context) -> None:
    """Take, follow and finish quests.

    Usage: quest list                  what the people here offer you
           quest accept <n | name>     take one on
           quest info <n | name>       its objectives (also for quests you have)
           quest abandon <n | name>    give one up (its progress is lost)
           quest complete              turn in finished quests to the giver here
    """
    verb, _, rest = ctx.args.partition(" ")
    handler = {"list": _list, "accept": _accept, "info": _info, "abandon": _abandon,
               "complete": _complete, "finish": _complete}.get(verb.lower())
    if handler is None:
        ctx.send(USAGE)
        return
    handler(ctx, rest.strip())


def _offers(ctx: Context) -> list[QuestTemplate]:
    return [q for giver in _givers(ctx)
            for q in quests.offered(ctx.ch, ctx.game.world.quests, giver.template.id)]


def _list(ctx: Context, _: str) -> None:
    givers = _givers(ctx)
    if not givers:
        ctx.send("No one here has work for you.")
        return
    offers = _offers(ctx)
    lines = []
    for index, offer in enumerate(offers, 1):
        giver = ctx.game.world.monsters[offer.giver].name
        lines.append(f"  {index}. {offer.name} ({giver})")
    for row, active in _active(ctx):
        if any(g.template.id == active.giver for g in givers):
            state = ("ready to turn in: 'quest complete'"
                     if quests.is_complete(ctx.ch, row, active) else "in progress")
            lines.append(f"  -  {active.name} ({state})")
    ctx.send("Quests here:\n" + "\n".join(lines) + "\nType 'quest info <n>' or 'quest accept "
             "<n>'." if lines else "No one here has anything more for you just now.")


def _info(ctx: Context, word: str) -> None:
    mine = [q for _, q in _active(ctx)]
    found = _pick(_offers(ctx), word) or _pick(mine, word) if word else None
    if found is None:
        ctx.send("Which quest? " + USAGE)
        return
    row = quests.active_row(ctx.ch, found.id)
    ctx.send(f"{found.name}\n{ctx.prose(found.description)}\n"
             + "\n".join(f"  {_describe(ctx, row, o)}" for o in found.objectives)
             + _reward_text(ctx, found))


def _reward_text(ctx: Context, quest_: QuestTemplate) -> str:
    parts = [ctx.game.label(i, n) for i, n in quest_.reward_items]
    if quest_.reward_progress:
        parts.append(f"{quest_.reward_progress} progress for each awakened ability")
    return "\nReward: " + ", ".join(parts) if parts else ""


def _accept(ctx: Context, word: str) -> None:
    offer = _pick(_offers(ctx), word) if word else None
    if offer is None:
        ctx.send("No one here offers that. Type 'quest list'.")
        return
    items = ctx.game.world.items
    if not ctx.ch.add_items([(i, n, items[i].stackable) for i, n in offer.start_items]):
        ctx.send("Your pack is too full to take what this quest needs you to carry.")
        return
    quests.accept(ctx.ch, offer)
    giver = ctx.game.world.monsters[offer.giver].name
    lines = [f"You accept '{offer.name}'.",
             ctx.prose(f"{upper_first(giver)} says: {offer.description}")]
    lines += [f"{upper_first(giver)} gives you {items[i].name}." for i, _ in offer.start_items]
    lines += [f"  {_describe(ctx, quests.active_row(ctx.ch, offer.id), o)}"
              for o in offer.objectives]
    ctx.send("\n".join(lines))


def _abandon(ctx: Context, word: str) -> None:
    active = _active(ctx)
    found = _pick([q for _, q in active], word) if word else None
    if found is None:
        ctx.send("Which quest? Type 'quests' for your log.")
        return
    row = next(r for r, q in active if q is found)
    quests.abandon(ctx.ch, row)
    ctx.send(f"You abandon '{found.name}'.")


def _complete(ctx: Context, _: str) -> None:
    givers = {g.template.id: g for g in _givers(ctx)}
    finished = [(row, q) for row, q in _active(ctx)
                if q.giver in givers and quests.is_complete(ctx.ch, row, q)]
    if not finished:
        ctx.send("You have nothing to turn in here.")
        return
    for row, quest_ in finished:
        giver = upper_first(givers[quest_.giver].name)
        if not quests.turn_in(ctx.ch, row, quest_, ctx.game.world.items):
            ctx.send(f"{giver} has a reward for '{quest_.name}', but your pack is too full. "
                     "Make some room and try again.")
            continue
        speech = ctx.prose(f"{giver} says: {quest_.completion}")
        ctx.send(f"You complete '{quest_.name}'!\n{speech}" + _reward_text(ctx, quest_))
        ctx.game.tell_room(ctx.room, f"{ctx.ch.name} has completed '{quest_.name}'.",
                           exclude=[ctx.ch])
        if quest_.reward_progress:
            grant_all(ctx.game, ctx.ch, quest_.reward_progress)


def deliver(ctx: Context, row_item: str, npc: Mob) -> bool:
    """Give a carried item to a monster that a quest wants it delivered to; False if none
    does (the item stays)."""
    ch = ctx.ch
    if not quests.wants_delivery(ch, ctx.game.world.quests, row_item, npc.template.id):
        return False
    stack = next(r for r in ch.carried if r.item_id == row_item)
    ch.remove_item(stack, 1)
    for quest_, objective, count in quests.record(ch, ctx.game.world.quests, "deliver",
                                                   row_item, npc.template.id):
        ctx.send(f"You give {ctx.game.item(row_item).name} to {npc.name}.\n"
                 f"[{quest_.name}] {_describe(ctx, None, objective).rsplit(':', 1)[0]}: "
                 f"{count}/{objective.count}")
    return True
