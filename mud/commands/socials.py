"""Socials (world/socials.toml): `smile`, `bow maren`, `poke self`. A social is typed like a
command; a command of the same name comes first. `socials` lists them."""

from __future__ import annotations

from functools import cache

from mud.commands.context import Context
from mud.commands.registry import Command, Need, command
from mud.commands.targets import (
    SELF_WORDS,
    BadTarget,
    parse_target,
    select,
    select_monsters,
)
from mud.game.socials import social_lines
from mud.world.socials import Social


@cache
def social_command(social: Social) -> Command:
    """The command that does social (one per social, made once: the dispatcher runs it as any
    other command)."""
    return Command(social.id, (), "player", "social", lambda ctx: perform(ctx, social),
                   Need.THAWED)


def perform(ctx: Context, social: Social) -> None:
    ch, game, room = ctx.ch, ctx.game, ctx.room
    word = ctx.args.split()[0] if ctx.args else ""
    if not word:
        lines = social_lines(social, ch.name)
    elif word.lower() in SELF_WORDS or word.lower() == ch.name.lower():
        lines = social_lines(social, ch.name, at_self=True)
    else:
        try:
            spec = parse_target(word)
        except BadTarget as exc:
            ctx.send(str(exc))
            return
        seen = [c for c in room.occupants if c is not ch and game.sees(ch, c)]
        people = select(seen, spec, lambda c: (c.name.lower(),))
        mobs = [] if people else select_monsters(room.mobs, spec)
        if not people and not mobs:
            ctx.send(social.not_found.replace("$T", word[:20]) if social.not_found
                     else f"There is no one called '{word[:20]}' here.")
            return
        person = people[0] if people else None
        lines = social_lines(social, ch.name, person.name if person else mobs[0].name)
        if person is not None and not person.ignores(ch.name):
            game.tell(person, lines.target)
        ctx.send(lines.actor)
        if lines.room:
            game.tell_room(room, lines.room, exclude=[ch, *people[:1]], actor=ch, speaker=ch)
        return
    ctx.send(lines.actor)
    if lines.room:
        game.tell_room(room, lines.room, exclude=[ch], actor=ch, speaker=ch)


@command("socials", category="communication")
def socials(ctx: Context) -> None:
    """List the socials: short actions such as smile, bow or poke.

    A social is done alone, at someone or something in the room, or at yourself.

    Usage: smile      smile <name>      smile self
    """
    names = sorted(ctx.game.world.socials)
    if not names:
        ctx.send("This world has no socials.")
        return
    ctx.send(f"Socials ({len(names)}): {', '.join(names)}.")
