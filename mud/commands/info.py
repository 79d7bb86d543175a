"""Looking around and at oneself: look, exits, who, score, inventory, help."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from mud.commands.context import Context
from mud.commands.equipment import attack_line, look_in
from mud.commands.registry import REGISTRY, Ambiguous, command
from mud.commands.targets import SELF_WORDS, BadTarget, parse_target, select, select_monsters
from mud.game.abilities import active_buffs
from mud.game.bonding import essence_bonuses
from mud.game.mobs import Mob
from mud.game.model import Character
from mud.game.money import wealth
from mud.game.rules import ATTRIBUTES, MAX_ESSENCES
from mud.game.state import Game, Room
from mud.text import countable, counted, indefinite, several, upper_first, whole_seconds
from mud.vocabulary import RANKS
from mud.world.loader import DIRECTIONS

if TYPE_CHECKING:
    from mud.commands.host import PlayerSession

ADVERB_EXITS = (*DIRECTIONS, "in", "out")  # exits named by where they go, not by a thing


def condition(mob: Mob) -> str:
    share = mob.health / mob.template.health
    for limit, words in ((1.0, "is in perfect health"), (0.75, "has a few scratches"),
                         (0.5, "is wounded"), (0.25, "is badly hurt")):
        if share >= limit:
            return words
    return "is near death"


def exit_names(room: Room) -> list[str]:
    order = {d: i for i, d in enumerate(DIRECTIONS)}
    return sorted(room.template.exits, key=lambda e: (order.get(e, len(order)), e))


def _tally(things: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """(name, count) pairs with the counts of one kind of thing added up, in the order each
    first came; a name that is no kind of thing (Red Hessa) keeps every entry of its own."""
    tally: list[tuple[str, int]] = []
    at: dict[str, int] = {}
    for name, count in things:
        if name in at:
            tally[at[name]] = (name, tally[at[name]][1] + count)
            continue
        if countable(name):
            at[name] = len(tally)
        tally.append((name, count))
    return tally


def _here(name: str, count: int, verb: str, verbs: str) -> str:
    """'A cellar rat is here.', 'Three cellar rats are here.' (verb for one, verbs for more)."""
    phrase = several(name, count) if count > 1 else None
    if phrase is None:
        return f"{upper_first(counted(name, count))} {verb} here."
    return f"{upper_first(phrase)} {verbs} here."


def show_room(ctx: Context, brief: bool = False) -> None:
    """The room: its name, description (not when brief), exits, and what and who is here."""
    room = ctx.room
    lines = [f"{{bright-cyan}}{room.template.name}{{reset}}",
             *([] if brief else [ctx.prose(room.template.description)]),
             f"{{green}}[Exits: {' '.join(exit_names(room)) or 'none'}]{{reset}}"]
    items = _tally((ctx.game.item(item.item_id).name, item.quantity) for item in room.items)
    lines += [_here(name, count, "lies", "lie") for name, count in items]
    idle = _tally((mob.name, 1) for mob in room.mobs if mob.target is None)
    lines += [_here(name, count, "is", "are") for name, count in idle]
    for mob in room.mobs:  # one that fights stands alone
        if mob.target is not None:
            foe = "you" if mob.target is ctx.ch else mob.target.name
            lines.append(f"{upper_first(mob.name)} is here, fighting {foe}.")
    for other in room.occupants:
        if other is not ctx.ch and ctx.game.sees(ctx.ch, other):
            state = "" if ctx.game.is_connected(other) else " (link-dead)"
            state += " (invisible)" if other.invisible else ""
            lines.append(f"{other.name} is here{state}.")
    ctx.send("\n".join(lines))


@command("look", "l", category="information")
def look(ctx: Context) -> None:
    """Look at the room, or at someone or something.

    Usage: look
           look <character | item | direction>
    """
    if not ctx.args:
        show_room(ctx)
        return
    if ctx.args.lower().startswith("in "):
        look_in(ctx, ctx.args[3:].strip())
        return
    word = ctx.args.split()[-1] if ctx.args.lower().startswith("at ") else ctx.args
    room = ctx.room
    direction = word.lower()
    if direction in room.template.exits:
        target = ctx.game.rooms[room.template.exits[direction]].template
        way = direction if direction in ADVERB_EXITS else f"by the {direction}"
        ctx.send(f"Going {way}, you would be {target.where}.")
        return
    try:
        spec = parse_target(word)
    except BadTarget as exc:
        ctx.send(str(exc))
        return
    mobs = [] if direction in SELF_WORDS else select_monsters(room.mobs, spec)
    if mobs:
        mob = mobs[0]
        ctx.send(f"{ctx.prose(mob.template.description)}\n{upper_first(mob.name)} "
                 f"{condition(mob)}.")
        return
    people = [ctx.ch] if direction in SELF_WORDS else select(
        room.occupants, spec, lambda c: (c.name.lower(),))
    if people:
        who = people[0]
        rank = indefinite(f"{who.rank}-rank adventurer")
        ctx.send(f"{who.name}, {rank}." if who is not ctx.ch else f"You are {who.name}, {rank}.")
        return
    things = select(ctx.ch.inventory, spec, ctx.item_words) or select(
        room.items, spec, ctx.item_words)
    if things:
        template = ctx.game.item(things[0].item_id)
        ctx.send(ctx.prose(f"{upper_first(template.name)}: {template.description}"))
        return
    ctx.send(f"You see no '{word}' here.")


@command("exits", category="information")
def exits(ctx: Context) -> None:
    """List the ways out of this room and where they lead."""
    room = ctx.room
    names = exit_names(room)
    if not names:
        ctx.send("There is no way out of here.")
        return
    width = max(map(len, names))
    ctx.send("Obvious exits:\n" + "\n".join(
        f"  {name:<{width}} - {ctx.game.rooms[room.template.exits[name]].template.name}"
        for name in names))


@command("who", category="information")
def who(ctx: Context) -> None:
    """List the characters in the game, highest rank first.

    Titles are shown, and who is away, idle (a minute or more) or link-dead.
    """
    game, now = ctx.game, ctx.game.now()
    rows = sorted((c for c in game.in_world() if game.sees(ctx.ch, c)),
                  key=lambda c: (-RANKS.index(c.rank), c.name))
    lines = [f"  [{c.rank:>7}] {c.name}{' ' + c.title if c.title else ''}"
             f"{' (away)' if c.afk is not None else ''}{_idle(game, c, now)}" for c in rows]
    count = len(rows)
    ctx.send("Players online:\n" + "\n".join(lines)
             + f"\n{count} player{'s' if count != 1 else ''} online.")


def _idle(game: Game, ch: Character, now: float) -> str:
    """How long a player has typed nothing, once it is a minute or more; or link-dead."""
    session = game.players.get(ch.id)
    if session is None:
        return " (link-dead)"
    idle = now - cast("PlayerSession", session).last_input
    return f" (idle {int(idle // 60)}m)" if idle >= 60 else ""


@command("score", "sc", category="information")
def score(ctx: Context) -> None:
    """Show your rank, attributes (with what essences and buffs add), pools and essences."""
    ch, catalogue = ctx.ch, ctx.game.world.essences
    bonuses = essence_bonuses(ch, catalogue)
    now = ctx.game.now()
    buffs = active_buffs(ch, catalogue, now)
    weak = f", weak for {whole_seconds(ch.weak_until - now)}s" if ch.weak_until > now else ""
    lines = [f"{ch.name}, {ch.rank} rank, {'resting' if ch.resting else 'standing'}{weak}"]
    for attribute in ATTRIBUTES:
        extra = [f"essences +{bonuses[attribute]}"] if bonuses[attribute] else []
        extra += [f"buffs +{buffs[attribute]}"] if buffs[attribute] else []
        value = getattr(ch, attribute) + buffs[attribute]
        lines.append(f"  {attribute.capitalize():<9} {value:>4}"
                     + (f"   ({', '.join(extra)})" if extra else ""))
    essences = ", ".join(f"{e.essence_type} ({e.attribute_bound})" for e in ch.essences)
    lines += [f"  Health {ch.health}/{ch.max_health}   Mana {ch.mana}/{ch.max_mana}"
              f"   Stamina {ch.stamina}/{ch.max_stamina}",
              f"  {attack_line(ctx)}",
              f"  Essences {len(ch.essences)}/{MAX_ESSENCES}: {essences or 'none'}",
              f"  Coins worth {wealth(ch, ctx.game.world.items)} copper",
              f"  Carrying {len(ch.carried)}/{ch.inventory_capacity} stacks"]
    ctx.send("\n".join(lines))


@command("inventory", "i", "inv", category="information")
def inventory(ctx: Context) -> None:
    """List what you are carrying."""
    ch = ctx.ch
    carried = ch.carried
    if not carried:
        ctx.send(f"You are carrying nothing. (0/{ch.inventory_capacity})")
        return
    ctx.send("You are carrying:\n"
             + "\n".join(f"  {ctx.describe_stack(row)}" for row in carried)
             + f"\n({len(carried)}/{ch.inventory_capacity} stacks)")


@command("help", "?", category="information")
def help_(ctx: Context) -> None:
    """Show the commands, or the help of one, or the commands whose help mentions a word.

    Usage: help
           help <command>
           help <word>
    Long help comes a screen at a time when your client tells its window's height: press
    Enter for more, or q to stop.
    """
    role = ctx.session.role
    if not ctx.args:
        ctx.page(_listing(role))
        return
    word = ctx.args.split()[0]
    try:
        cmd = REGISTRY.resolve(word, role)
    except Ambiguous as exc:
        ctx.send(f"'{word}' could be: {', '.join(exc.names)}.")
        return
    if cmd is None:
        ctx.send(_mentions(word, role))
        return
    aliases = f" (also: {', '.join(cmd.aliases)})" if cmd.aliases else ""
    ctx.page(f"{cmd.name}{aliases}\n{cmd.help}")


@command("commands", category="information")
def commands_(ctx: Context) -> None:
    """List every command you can use, by name ('help <command>' tells what one does)."""
    by_category: dict[str, list[str]] = {}
    for cmd in REGISTRY.visible(ctx.session.role):
        by_category.setdefault(cmd.category, []).append(cmd.name)
    ctx.page("\n".join(f"{category.capitalize()}: {', '.join(sorted(names))}."
                        for category, names in sorted(by_category.items()))
             + f"\nSocials: {len(ctx.game.world.socials)}, listed by 'socials'.")


def _listing(role: str) -> str:
    """Every command the role may use, by category, each with the first line of its help."""
    visible = REGISTRY.visible(role)
    width = max(len(cmd.name) for cmd in visible)
    by_category: dict[str, list[str]] = {}
    for cmd in visible:  # two spaces or more: the summary's wrapped lines hang under it
        by_category.setdefault(cmd.category, []).append(f"  {cmd.name:<{width}}  {cmd.summary}")
    return ("\n".join(f"{category.capitalize()}:\n" + "\n".join(lines)
                      for category, lines in sorted(by_category.items()))
            + "\nType 'help <command>' for more. 'help <word>' finds the help that mentions it.")


def _mentions(word: str, role: str) -> str:
    """What to say when word names no command: the commands whose help mentions it."""
    shown = word[:30]
    mention = re.compile(rf"(?<!\w){re.escape(word)}", re.IGNORECASE)
    names = [cmd.name for cmd in REGISTRY.visible(role) if mention.search(cmd.help)]
    if not names:
        return (f"There is no help on '{shown}': no command is called that, and no help "
                "mentions it. Type 'help' for the list.")
    return (f"No command is called '{shown}'. Help that mentions it: {', '.join(names)}. "
            "Type 'help <command>' to read one.")
