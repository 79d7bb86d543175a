"""Wizard commands that watch and restrain: invisibility, snooping, freezing, bans, the wizlock
and planned shutdowns. Each is audited by the dispatcher like every privileged command."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

import psycopg

from mud.commands.context import Context
from mud.commands.registry import command, role_allows
from mud.game.model import Character, Part
from mud.shutdown import MAX_MINUTES, when
from mud.store.bans import KINDS, BanError

if TYPE_CHECKING:
    from mud.session import Session

log = logging.getLogger("mud.commands")

T = TypeVar("T")

DATABASE_AWAY = "The database cannot be reached just now, so nothing has changed. Try again soon."


def _below_me(ctx: Context, name: str, verb: str) -> tuple[Character, Session | None] | None:
    """A character here whose account's role is below the caller's, and its session (None when
    link-dead); None, told why, otherwise."""
    ch = ctx.game.find_online(name) if name else None
    if ch is None:
        ctx.refuse(f"No one called '{name[:20]}' is in the world here." if name else
                   f"{verb.capitalize()} whom?")
        return None
    ctx.target = ch.name
    session = ctx.server.game.players.get(ch.id)
    role = getattr(session, "role", "player")
    if ch is ctx.ch or role_allows(role, ctx.session.role):
        ctx.refuse(f"You cannot {verb} {'yourself' if ch is ctx.ch else ch.name}.")
        return None
    return ch, session  # type: ignore[return-value]


@command("invis", "wizinvis", role="wizard", category="wizard")
def invis(ctx: Context) -> None:
    """Become invisible to players (wizards still see you) until `vis` or you log out."""
    _set_invisible(ctx, True, "You fade from the sight of mortals.")


@command("vis", role="wizard", category="wizard")
def vis(ctx: Context) -> None:
    """Become visible again."""
    _set_invisible(ctx, False, "You are visible again.")


def _set_invisible(ctx: Context, invisible: bool, message: str) -> None:
    ctx.ch.invisible = invisible
    ctx.server.announce(ctx.ch)
    ctx.send(message)


@command("snoop", role="wizard", category="wizard")
def snoop(ctx: Context) -> None:
    """Watch what a player sees and types (they are not told). `snoop` alone stops.

    Usage: snoop <character>      snoop
    """
    watcher = ctx.session
    if not ctx.args.strip():
        watched = watcher.stop_snooping()
        if watched is None:
            ctx.refuse("You are not snooping anyone.")
        else:
            ctx.target = watched
            ctx.send(f"You stop snooping {watched}.")
        return
    found = _below_me(ctx, ctx.args.strip(), "snoop")
    if found is None:
        return
    ch, session = found
    if session is None:
        ctx.refuse(f"{ch.name} is link-dead: there is nothing to watch.")
        return
    if session.snooped_by is not None and session.snooped_by is not watcher:
        ctx.refuse(f"Someone is already snooping {ch.name}.")
        return
    if session.leads_to(watcher):
        ctx.refuse(f"{ch.name} is watching you: that would be a loop.")
        return
    watcher.snoop(session)
    ctx.send(f"You are now snooping {ch.name}. Lines from them start with '%'. Type 'snoop' "
             "to stop.")


@command("freeze", role="wizard", category="wizard")
def freeze(ctx: Context) -> None:
    """Freeze a player: they can do nothing but quit until thawed, even after logging out.

    Usage: freeze <character>
    """
    found = _below_me(ctx, ctx.args.strip(), "freeze")
    if found is not None:
        _set_frozen(ctx, found[0], True)


@command("thaw", role="wizard", category="wizard")
def thaw(ctx: Context) -> None:
    """Let a frozen player act again. Usage: thaw <character>"""
    found = _below_me(ctx, ctx.args.strip(), "thaw")
    if found is not None:
        _set_frozen(ctx, found[0], False)


def _set_frozen(ctx: Context, ch: Character, frozen: bool) -> None:
    if ch.frozen == frozen:
        ctx.refuse(f"{ch.name} is {'already' if frozen else 'not'} frozen.")
        return
    ch.frozen = frozen
    ch.mark(Part.CORE)
    ctx.game.tell(ch, "A bitter cold takes hold of you: you cannot move." if frozen else
                  "You thaw out and can move again.")
    ctx.send(f"{ch.name} is {'frozen' if frozen else 'thawed'}.")


async def _changing_bans(ctx: Context, change: Awaitable[T]) -> T | None:
    """The outcome of a change to the bans; None, the wizard told why, when it failed."""
    try:
        return await change
    except BanError as exc:
        ctx.refuse(str(exc))
    except psycopg.Error as exc:
        log.error("event=ban_failed error=%r", str(exc))
        ctx.refuse(DATABASE_AWAY)
    return None


@command("ban", role="wizard", category="wizard")
async def ban(ctx: Context) -> None:
    """Bar an account, a character name or an address (or network) from the game.

    Anyone it covers is disconnected, saved. `bans` lists them.

    Usage: ban <account | character | address> <name or address> [reason]
    """
    kind, _, rest = ctx.args.partition(" ")
    value, _, reason = rest.strip().partition(" ")
    if kind.lower() not in KINDS or not value:
        ctx.refuse("Usage: ban <account | character | address> <name or address> [reason]")
        return
    ctx.target = f"{kind.lower()} {value}"
    done = await _changing_bans(ctx, ctx.server.ban(kind.lower(), value, reason.strip(),
                                                    ctx.ch.name))
    if done is None:
        return
    entry, kicked = done
    ctx.send(f"Banned {entry.kind} {entry.value}"
             + (f" ({entry.reason})" if entry.reason else "")
             + f"; {kicked} connection(s) closed.")


@command("unban", role="wizard", category="wizard")
async def unban(ctx: Context) -> None:
    """Lift a ban. Usage: unban <account | character | address> <name or address>"""
    words = ctx.args.split()
    if len(words) != 2 or words[0].lower() not in KINDS:
        ctx.refuse("Usage: unban <account | character | address> <name or address>")
        return
    ctx.target = f"{words[0].lower()} {words[1]}"
    removed = await _changing_bans(ctx, ctx.server.unban(words[0].lower(), words[1]))
    if removed is None:
        return
    if removed:
        ctx.send(f"The ban on {words[0].lower()} {words[1]} is lifted.")
    else:
        ctx.refuse(f"There is no ban on {words[0].lower()} {words[1][:60]}.")


@command("bans", role="wizard", category="wizard")
def bans(ctx: Context) -> None:
    """List the bans in force."""
    entries = ctx.server.bans.all()
    ctx.send("\n".join([f"{len(entries)} ban(s):", *(b.line() for b in entries)]))


@command("wizlock", role="wizard", category="wizard")
def wizlock(ctx: Context) -> None:
    """Close the game to players and builders (wizards may still log in), or open it again.

    Players already in stay. Usage: wizlock [on | off]
    """
    word = ctx.args.strip().lower()
    if word not in ("", "on", "off"):
        ctx.refuse("Usage: wizlock [on | off]")
        return
    if word:
        ctx.server.set_wizlock(word == "on")
    ctx.send("The game is wizlocked: only wizards and admins may log in." if ctx.server.wizlock
             else "The game is open to everyone.")


@command("shutdown", role="wizard", category="wizard")
def shutdown(ctx: Context) -> None:
    """Shut this server down after a countdown that warns every player; everything is saved.

    Usage: shutdown <minutes | now> [reason]      shutdown cancel
    """
    word, _, reason = ctx.args.strip().partition(" ")
    planner = ctx.server.shutdowns
    if word.lower() == "cancel":
        if not planner.cancel(ctx.ch.name):
            ctx.refuse("No shutdown is planned.")
        else:
            ctx.send("The shutdown is cancelled.")
        return
    try:
        minutes = 0.0 if word.lower() == "now" else float(word)
        ctx.send(planner.schedule(minutes, reason.strip()[:200], ctx.ch.name))
    except ValueError:
        left = planner.seconds_left()
        ctx.refuse((f"A shutdown is planned in {when(left)}. " if left is not None else "")
                   + f"Usage: shutdown <minutes, 0-{MAX_MINUTES} | now> [reason]; "
                     "shutdown cancel")
