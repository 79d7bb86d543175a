"""How the game looks to a player: colour and the prompt."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from mud.commands.context import Context
from mud.commands.registry import command
from mud.game.model import Character
from mud.net.terminal import Colours

MAX_PROMPT = 120
DEFAULT_PROMPT = "%h/%H hp %m/%M mp %s/%S st> "
_PROMPT_CODE = re.compile(r"%[hHmMsSr%]")
_COLOUR_NAMES = {Colours.NONE: "no colour", Colours.ANSI: "16 colours",
                 Colours.XTERM: "256 colours", Colours.TRUE: "true colour"}


_PROMPT_VALUES: dict[str, Callable[[Character], object]] = {
    "%h": lambda ch: ch.health, "%H": lambda ch: ch.max_health, "%m": lambda ch: ch.mana,
    "%M": lambda ch: ch.max_mana, "%s": lambda ch: ch.stamina, "%S": lambda ch: ch.max_stamina,
    "%r": lambda ch: ch.rank}


@functools.lru_cache(maxsize=1024)
def _compiled(template: str) -> tuple[str, tuple[Callable[[Character], object], ...]]:
    """template as a format string and the values its fields take, parsed once: a prompt goes
    out after every reply and every message, to every listener."""
    values: list[Callable[[Character], object]] = []

    def field(code: re.Match[str]) -> str:
        if code[0] == "%%":
            return "%"
        values.append(_PROMPT_VALUES[code[0]])
        return "{}"

    return _PROMPT_CODE.sub(field, template.replace("{", "{{").replace("}", "}}")), tuple(values)


def prompt_line(template: str | None, ch: Character) -> str:
    """The prompt template (None: the default one) with its codes filled in for ch."""
    form, values = _compiled(template or DEFAULT_PROMPT)
    return form.format(*[value(ch) for value in values])


@command("color", "colour", category="settings")
def color(ctx: Context) -> None:
    """Turn colour on or off, or go back to what your client announced.

    Usage: color            (what is in use)
           color on | off | auto
    """
    display = ctx.session.display
    choice = ctx.args.strip().lower()
    if choice in ("on", "off", "auto"):
        ctx.ch.choose_colour(None if choice == "auto" else choice == "on")
    elif choice:
        ctx.send("Usage: color on | color off | color auto")
        return
    client = display.conn.terminal.colours
    setting = "as your client announced" if display.colour is None else \
        f"turned {'on' if display.colour else 'off'} by you"
    ctx.send(f"Colour: {_COLOUR_NAMES[display.colours]} ({setting}; your client announced "
             f"{_COLOUR_NAMES[client]}). {{bright-green}}This line is green{{reset}} when "
             "colour is on.")


@command("prompt", category="settings")
def prompt(ctx: Context) -> None:
    """Set the prompt shown after each reply.

    Usage: prompt <template>     prompt default     prompt (shows it)
    Codes: %h health  %H max health  %m mana  %M max mana  %s stamina  %S max stamina
           %r rank  %% a percent sign. Colour tags work too, e.g. {{red}%h{{reset}.
    Example: prompt <%h/%Hhp %m/%Mmp %s/%Ssp>
    """
    display, args = ctx.session.display, ctx.args
    if not args.strip():
        shown = (display.prompt or DEFAULT_PROMPT).replace("{", "{{")  # tags as typed
        ctx.send(f"Your prompt is {'' if display.prompt else 'the default, '}'{shown}'. "
                 "Type 'help prompt' for the codes.")
        return
    if args.strip().lower() == "default":
        ctx.ch.choose_prompt(None)
        ctx.send("Your prompt is the default again.")
        return
    if len(args) > MAX_PROMPT:
        ctx.send(f"A prompt is at most {MAX_PROMPT} characters.")
        return
    ctx.ch.choose_prompt(args if args.endswith(" ") else args + " ")
    ctx.send("Prompt set.")
