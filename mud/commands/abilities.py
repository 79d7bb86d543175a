"""Abilities: list them, use them. Using one spends mana or stamina, starts its cooldown,
applies its effect and earns progress toward the next rank (mud.game.abilities)."""

from __future__ import annotations

import time

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import command
from mud.game import abilities as rules_of
from mud.game.model import Ability, Character
from mud.world.essences import AbilityTemplate


def _state(ability: Ability, template: AbilityTemplate, now: float) -> str:
    if not ability.awakened:
        return f"asleep until {template.awakens}"
    left = rules_of.cooldown_left(ability, now)
    return f"ready in {left:.0f}s" if left > 0 else "ready"


def _progress(ability: Ability) -> str:
    needed = rules_of.PROGRESS_TO_NEXT.get(ability.current_rank)
    return "highest rank" if needed is None else f"progress {rules_of.progress(ability)}/{needed}"


@command("abilities", "abil", category="essences")
def abilities(ctx: Context) -> None:
    """List your abilities by essence: rank, state, cost, cooldown and progress."""
    ch, catalogue, now = ctx.ch, ctx.game.world.essences, time.time()
    if not ch.abilities:
        ctx.send("You have no abilities yet. Bond an essence to gain some.")
        return
    width = max(len(a.ability_name) for a in ch.abilities)
    lines = []
    for essence in ch.essences:
        lines.append(f"{essence.essence_type.capitalize()} essence "
                     f"(bound to {essence.attribute_bound}):")
        for ability in ch.abilities_of(essence):
            template = rules_of.template_of(ch, ability, catalogue)
            if template is None:  # removed from world data: shown, not usable
                lines.append(f"  {ability.ability_name:<{width}}  (no longer known)")
                continue
            lines.append(f"  {ability.ability_name:<{width}}  {ability.current_rank:<7} "
                         f"{_state(ability, template, now):<17} {template.cost:>3} "
                         f"{template.resource:<7} cooldown {template.cooldown:>3}s  "
                         f"{template.effect:<7}  {_progress(ability)}")
    ctx.send("\n".join(lines))


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


def _other(ctx: Context, name: str) -> Character | None:
    word = name.lower()
    return next((c for c in ctx.room.occupants if c.name.lower().startswith(word)), None)


def _apply(ctx: Context, ability: Ability, template: AbilityTemplate, target: Character | None,
           power: int) -> None:
    ch, game, name = ctx.ch, ctx.game, ability.ability_name
    size = rules_of.amount(template, ability.current_rank, power)
    if template.effect == "damage":
        ctx.send(f"You loose {name} at the empty air, feeling its shape ({size} damage).")
        game.tell_room(ctx.room, f"{ch.name} practises {name}.", exclude=[ch])
    elif template.effect == "heal":
        who = target or ch
        gained = who.change_pool(template.pool, size)
        if who is ch:
            ctx.send(f"You use {name}, restoring {gained} {template.pool}.")
        else:
            ctx.send(f"You use {name} on {who.name}, restoring {gained} {template.pool}.")
            game.tell(who, f"{ch.name} uses {name} on you, restoring {gained} {template.pool}.")
        game.tell_room(ctx.room, f"{ch.name} uses {name}.", exclude=[ch, who])
    elif template.effect == "buff":
        ctx.send(f"You use {name}: {template.attribute} +{size} for {template.duration}s.")
        game.tell_room(ctx.room, f"{ch.name} uses {name}.", exclude=[ch])
    elif template.utility == "recall":
        game.tell_room(ctx.room, f"{ch.name} uses {name} and is gone.", exclude=[ch])
        ctx.send(f"You use {name}, and the world folds around you.")
        arrived = game.move(ch, game.world.start_room)
        game.tell_room(arrived, f"{ch.name} appears in a ripple of air.", exclude=[ch])
        show_room(ctx)
    else:  # sense
        room = ctx.room
        sensed = []
        for direction, room_id in room.template.exits.items():
            people = [c.name for c in game.rooms[room_id].occupants]
            sensed.append(f"  {direction}: {', '.join(people) if people else 'no one'}")
        ctx.send(f"You use {name} and reach out with your senses:\n"
                 + ("\n".join(sensed) or "  nothing; there is no way out of here."))


def _announce(ctx: Context, ability: Ability, advance: rules_of.Advancement) -> None:
    ch = ctx.ch
    if advance.ability_rank:
        ctx.send(f"Your {ability.ability_name} rises to {advance.ability_rank} rank!")
    if advance.character_rank:
        ctx.send(f"Power surges through you: you have risen to {advance.character_rank} "
                 "rank!")
        ctx.game.tell_room(ctx.room, f"{ch.name} has risen to {advance.character_rank} rank!",
                           exclude=[ch])
    if advance.awakened:
        ctx.send("Awakened: " + ", ".join(a.ability_name for a in advance.awakened) + ".")


@command("use", "cast", category="essences")
def use(ctx: Context) -> None:
    """Use one of your abilities.

    Usage: use <ability> [target]
    Examples: use flowing mend      use mend bob      use hum
    Healing may be used on someone in the room; without a target it is used on yourself.
    """
    ch, catalogue, now = ctx.ch, ctx.game.world.essences, time.time()
    words = ctx.args.split()
    if not words:
        ctx.send("Use which ability? Type 'abilities' to see yours.")
        return
    found, rest = _find(ch, words)
    if not found:
        ctx.send(f"You have no ability called '{' '.join(words)[:40]}'.")
        return
    if len({a.ability_name for a in found}) > 1:
        ctx.send("Which one: " + ", ".join(a.ability_name for a in found) + "?")
        return
    ability = found[0]
    template = rules_of.template_of(ch, ability, catalogue)
    if template is None:
        ctx.send(f"{ability.ability_name} no longer answers you.")
        return
    if ch.resting:
        ctx.send("You are resting. Stand up first.")
        return
    target = None
    if rest:
        target = _other(ctx, rest[0])
        if target is None:
            ctx.send(f"There is no '{rest[0][:30]}' here.")
            return
    if target is not None and template.effect == "damage":
        ctx.send(f"You will not turn {ability.ability_name} on "
                 f"{'yourself' if target is ch else target.name}; save it for the monsters "
                 "beyond the village.")
        return
    if target not in (None, ch) and template.effect in ("buff", "utility"):
        ctx.send(f"{ability.ability_name} can only be used on yourself.")
        return
    problem = rules_of.refusal(ch, ability, template, now)
    if problem:
        ctx.send(problem)
        return
    essence = next(e for e in ch.essences if e.id == ability.essence_id)
    favoured = catalogue.by_id[essence.essence_type].favours
    power = rules_of.effective(ch, favoured, catalogue, now)
    rules_of.spend(ch, ability, template, now)
    _apply(ctx, ability, template, target, power)
    _announce(ctx, ability, rules_of.earn_progress(ch, ability, catalogue))
