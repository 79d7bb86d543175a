"""Wizard commands that watch and restrain: invisibility, snooping and freezing, audited by the
dispatcher like every privileged command; and the staff operations (mud.ops: bans, the wizlock,
planned shutdowns, broadcast, roles, reloading the world), each the same command as on the
operator's console, audited by the operation itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mud.commands.context import Context
from mud.commands.registry import Handler, command, role_allows
from mud.game.model import Character
from mud.ops import bans, broadcast, reboot, roles, shutdown, wizlock, world
from mud.ops.base import Operation, acting

if TYPE_CHECKING:
    from mud.commands.host import PlayerSession


def _below_me(ctx: Context, name: str, verb: str) -> tuple[Character, PlayerSession | None] | None:
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
    ctx.game.tell(ch, "A bitter cold takes hold of you: you cannot move." if frozen else
                  "You thaw out and can move again.")
    ctx.send(f"{ch.name} is {'frozen' if frozen else 'thawed'}.")


def _front_end(op: Operation) -> Handler:
    """The wizard command of a staff operation: run it as the caller and show what came of it
    (the operation has audited it)."""

    async def run(ctx: Context) -> None:
        result = await op(ctx.server.staff, acting(ctx.session), ctx.args)
        ctx.audited = True
        if result.ok:
            ctx.send(result.text)
        else:
            ctx.refuse(result.text)

    run.__doc__ = op.help
    return run


def _register(role: str, *ops: Operation) -> None:
    """The operations' wizard commands, for role and above (their category in help)."""
    for op in ops:
        command(op.name, role=role, category=role)(_front_end(op))


_register("wizard", bans.ban, bans.unban, bans.bans, wizlock.wizlock, shutdown.shutdown,
          reboot.reboot, broadcast.broadcast, world.reload)
_register("admin", roles.promote, roles.demote)
