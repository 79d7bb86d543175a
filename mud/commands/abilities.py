"""Abilities: list them, use them. Using one spends mana or stamina, starts its cooldown,
applies its effect and, when that did something, earns progress toward the next rank: the
rules are mud.game.effects' and mud.game.abilities'; `use` finds the ability and the target
the player names and calls them."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.equipment import consume
from mud.commands.info import show_room
from mud.commands.registry import Need, command, unmet
from mud.commands.targets import BadTarget, parse_target, select, select_monsters
from mud.game import abilities as rules_of
from mud.game.effects import learn, use_ability
from mud.game.errors import GameError
from mud.game.mobs import Mob
from mud.game.model import Ability, Character
from mud.text import whole_seconds
from mud.world.essences import AbilityTemplate


def _state(ability: Ability, template: AbilityTemplate, now: float) -> str:
    if not ability.awakened:
        return f"asleep until {template.awakens}"
    left = rules_of.cooldown_left(ability, now)
    return f"ready in {whole_seconds(left)}s" if left > 0 else "ready"


def _progress(ability: Ability) -> str:
    needed = rules_of.PROGRESS_TO_NEXT.get(ability.current_rank)
    return "highest rank" if needed is None else f"progress {rules_of.progress(ability)}/{needed}"


# an ability's entries: name, rank, state, cost, cooldown, effect and progress; or its name
# alone when world data no longer has it
_Row = tuple[str, ...]


def _row(ability: Ability, template: AbilityTemplate | None, now: float) -> _Row:
    if template is None:  # removed from world data: shown, not usable
        return (ability.ability_name,)
    return (ability.ability_name, ability.current_rank, _state(ability, template, now),
            f"{template.cost} {template.resource}", f"{template.cooldown}s", template.effect,
            _progress(ability))


def _table(sections: list[tuple[str, list[_Row]]]) -> list[str]:
    """One line per ability, its entries in aligned columns, for a wide window."""
    rows = [row for _, section in sections for row in section]
    widths = [max((len(row[i]) for row in rows if len(row) > i), default=0) for i in range(6)]
    lines = []
    for heading, section in sections:
        lines.append(heading)
        for row in section:
            if len(row) == 1:
                lines.append(f"  {row[0]:<{widths[0]}}  (no longer known)")
                continue
            name, rank, state, cost, cooldown, effect, progress = row
            lines.append(f"  {name:<{widths[0]}}  {rank:<{widths[1]}}  {state:<{widths[2]}}  "
                         f"{cost:<{widths[3]}}  cooldown {cooldown:>{widths[4]}}  "
                         f"{effect:<{widths[5]}}  {progress}")
    return lines


def _stacked(sections: list[tuple[str, list[_Row]]]) -> list[str]:
    """Two lines per ability, for a narrow window: what it is, then whether it is ready and
    the rest (wrapped under its indentation when the window is narrower still)."""
    lines = []
    for heading, section in sections:
        lines.append(heading)
        for row in section:
            if len(row) == 1:
                lines.append(f"  {row[0]} (no longer known)")
                continue
            name, rank, state, cost, cooldown, effect, progress = row
            lines += [f"  {name} ({rank}): {effect}",
                      f"    {state}, {cost}, cooldown {cooldown}, {progress}"]
    return lines


@command("abilities", "abil", category="essences")
def abilities(ctx: Context) -> None:
    """List your abilities by essence: rank, state, cost, cooldown and progress."""
    ch, catalogue, now = ctx.ch, ctx.game.world.essences, ctx.game.now()
    if not ch.abilities:
        ctx.send("You have no abilities yet. Bond an essence to gain some.")
        return
    sections = [(f"{essence.essence_type.capitalize()} essence "
                 f"(bound to {essence.attribute_bound}):",
                 [_row(a, rules_of.template_of(ch, a, catalogue), now)
                  for a in ch.abilities_of(essence)])
                for essence in ch.essences]
    lines = _table(sections)
    width = ctx.session.display.width
    if width is not None and max(map(len, lines)) > width:
        lines = _stacked(sections)
    ctx.page("\n".join(lines))


def _names_from(name: str, phrase: str) -> bool:
    """Whether phrase starts the name at one of its words: 'mend' and 'flowing m' both name
    Flowing Mend."""
    words = name.lower().split()
    return any(" ".join(words[i:]).startswith(phrase) for i in range(len(words)))


def _find(ch: Character, words: list[str]) -> tuple[list[Ability], list[str]]:
    """The abilities named by the longest leading run of words, and the words left over (the
    target): `use flowing mend bob` and `use mend bob` both find Flowing Mend."""
    for cut in range(len(words), 0, -1):
        phrase = " ".join(words[:cut]).lower()
        found = ([a for a in ch.abilities if a.ability_name.lower() == phrase]
                 or [a for a in ch.abilities if a.ability_name.lower().startswith(phrase)]
                 or [a for a in ch.abilities if _names_from(a.ability_name, phrase)])
        if found:
            return found, words[cut:]
    return [], words


def _target(ctx: Context, word: str, prefer_monsters: bool) -> Character | Mob | None:
    """Whom word names in the room: a character (by name) or a monster (`wolf`, `2.wolf`)."""
    lowered = word.lower()
    person = next((c for c in ctx.room.occupants if c.name.lower().startswith(lowered)), None)
    try:
        spec = parse_target(word)
    except BadTarget:
        return person
    monsters = select_monsters(ctx.room.mobs, spec) if spec.keyword else []
    monster = monsters[0] if monsters else None
    return (monster or person) if prefer_monsters else (person or monster)


@command("use", "cast", category="essences")
def use(ctx: Context) -> None:
    """Use one of your abilities.

    Usage: use <ability> [target]
    Examples: use flowing mend      use mend bob      use cinder 2.wolf      use hum
    Damage goes to the monster named, or without a target to the one you fight. Healing may
    be used on someone in the room; without a target it is used on yourself.
    """
    ch, catalogue = ctx.ch, ctx.game.world.essences
    words = ctx.args.split()
    if not words:
        ctx.send("Use which ability? Type 'abilities' to see yours.")
        return
    found, rest = _find(ch, words)
    if not found:
        _use_item(ctx, " ".join(words))
        return
    if len({a.ability_name for a in found}) > 1:
        ctx.send("Which one: " + ", ".join(a.ability_name for a in found) + "?")
        return
    ability = found[0]
    template = rules_of.template_of(ch, ability, catalogue)
    if template is None:
        ctx.send(f"{ability.ability_name} no longer answers you.")
        return
    refused = unmet(ctx.game, ch, Need.STANDING)  # abilities are used standing; items resting too
    if refused is not None:
        ctx.send(refused.refusal)
        return
    target: Character | Mob | None = None
    if rest:
        target = _target(ctx, rest[0], prefer_monsters=template.effect == "damage")
        if target is None:
            ctx.send(f"There is no '{rest[0][:30]}' here.")
            return
    try:
        outcome = use_ability(ctx.game, ch, ability, template, target, ctx.game.now())
    except GameError as exc:
        ctx.send(exc.message)
        return
    if outcome.moved:
        show_room(ctx)  # where the recall took you, before what the use taught
    learn(ctx.game, ch, ability, template, outcome)


def _use_item(ctx: Context, text: str) -> None:
    """`use <item>`: eat or drink a consumable when no ability has that name."""
    try:
        spec = parse_target(text)
    except BadTarget:
        spec = None
    rows = select(ctx.ch.carried, spec, ctx.item_words) if spec and spec.keyword else []
    if rows and ctx.game.item(rows[0].item_id).kind == "consumable":
        consume(ctx, rows[0])
    elif rows:
        ctx.send(f"You can't use {ctx.game.item(rows[0].item_id).name} like that.")
    else:
        ctx.send(f"You have no ability or item called '{text[:40]}'.")
