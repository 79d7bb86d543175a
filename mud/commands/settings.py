"""How a player plays, kept with the character: aliases, brief room descriptions, compact
fights, wimpy, and what they pick up from their kills at once (autoloot, autocoin)."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.game.aliases import ALIASES_MAX, refusal


@command("alias", category="settings")
def alias(ctx: Context) -> None:
    """Make a word stand for one or more commands; kept with your character.

    `;` separates commands, `$1`..`$9` are the words typed after the alias and `$*` all of
    them; without any `$`, what you type after it is added to the end.

    Usage: alias      alias <name>      alias <name> <commands>
    Examples: alias kr kill rat      alias hh use flowing mend $1;rest      unalias kr
    """
    ch = ctx.ch
    name, _, body = ctx.args.partition(" ")
    name, body = name.lower(), body.strip()
    if not name:
        ctx.send(f"Your aliases ({len(ch.aliases)}/{ALIASES_MAX}):\n" + "\n".join(
            f"  {key:<12} {value}" for key, value in sorted(ch.aliases.items()))
                 if ch.aliases else "You have no aliases. Usage: alias <name> <commands>")
        return
    if not body:
        ctx.send(f"{name} stands for: {ch.aliases[name]}" if name in ch.aliases else
                 f"You have no alias '{name[:20]}'.")
        return
    problem = refusal(name, body, ch.aliases)
    if problem:
        ctx.send(problem)
        return
    ch.aliases = {**ch.aliases, name: body}
    ctx.send(f"{name} now stands for: {body}")


@command("unalias", category="settings")
def unalias(ctx: Context) -> None:
    """Remove one of your aliases. Usage: unalias <name>"""
    name = ctx.args.strip().lower()
    if name not in ctx.ch.aliases:
        ctx.send(f"You have no alias '{name[:20]}'." if name else "Usage: unalias <name>")
        return
    ctx.ch.aliases = {key: value for key, value in ctx.ch.aliases.items() if key != name}
    ctx.send(f"The alias {name} is removed.")


def _switch(ctx: Context, current: bool) -> bool | None:
    """on, off, or (no argument) the other way round; None, the player told, for anything else."""
    word = ctx.args.strip().lower()
    if word in ("", "on", "off"):
        return not current if not word else word == "on"
    ctx.send("Say on or off, or nothing to switch it.")
    return None


def _setting(name: str, attr: str, summary: str, on: str, off: str) -> None:
    def toggle(ctx: Context) -> None:
        value = _switch(ctx, getattr(ctx.ch, attr))
        if value is not None:
            setattr(ctx.ch, attr, value)
            ctx.send(on if value else off)

    toggle.__doc__ = f"{summary} Kept with your character.\n\nUsage: {name}      {name} on|off"
    command(name, category="settings")(toggle)


_setting("brief", "brief", "Walking, see a room's name, exits and who is there, not its text.",
         "Brief: rooms you walk into show no description (look shows it).",
         "Brief is off: rooms you walk into are described in full.")
_setting("compact", "compact", "Read each round of a fight as one line.",
         "Compact: each round of a fight is one line.", "Compact is off: a line per blow.")
_setting("autoloot", "autoloot", "Pick up what your kills drop at once.",
         "Autoloot is on: what your kills drop goes into your pack.", "Autoloot is off.")
_setting("autocoin", "autocoin", "Pick up the coins your kills drop at once.",
         "Autocoin is on: the coins your kills drop go into your pack.", "Autocoin is off.")


@command("wimpy", category="settings")
def wimpy(ctx: Context) -> None:
    """Flee on your own when a blow leaves your health below this. Kept with your character.

    Usage: wimpy      wimpy <health>      wimpy 0 (never)
    """
    ch, word = ctx.ch, ctx.args.strip()
    if not word:
        ctx.send(f"You flee on your own below {ch.wimpy} health." if ch.wimpy else
                 "You never flee on your own. Usage: wimpy <health>")
        return
    if not (word.isascii() and word.isdigit()) or int(word) >= ch.max_health:
        ctx.send(f"Wimpy is a health from 0 to {ch.max_health - 1}.")
        return
    ch.wimpy = int(word)
    ctx.send(f"You will flee on your own below {ch.wimpy} health." if ch.wimpy else
             "You will never flee on your own.")
