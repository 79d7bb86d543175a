"""The player's own account: changing the password.

The typed passwords go through Session.ask with the echo off: they never pass the play loop (so a
snooping wizard never sees them), are never logged, and the audit row holds no arguments.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg

from mud import auth
from mud.auth import HashingBusy
from mud.commands.context import Context
from mud.commands.registry import command
from mud.ops.base import DATABASE_AWAY, acting, record
from mud.store.players import Account

log = logging.getLogger("mud.commands")

UNCHANGED = "Your password is unchanged."
BUSY = "The server is busy with logins just now. Try again in a moment. " + UNCHANGED


@command("password", category="settings")
async def password(ctx: Context) -> None:
    """Change your password.

    Usage: password
    It asks for your current password, then for the new one twice; what you type is hidden.
    """
    account = ctx.session.account
    assert account is not None  # a session in the game has logged in
    ctx.outcome = "abandoned"  # until the questions are answered: the player may leave mid-way
    try:
        await _change_password(ctx, account)
    except HashingBusy:
        _refuse(ctx, "busy", BUSY)
    except psycopg.Error as exc:
        log.error("event=password_change_failed account=%s error=%r", account.username,
                  str(exc))
        _refuse(ctx, "database away", DATABASE_AWAY)
    except Exception:
        ctx.outcome = "error"
        raise
    finally:
        record(ctx.server.audit, acting(ctx.session), "password", "", account.username,
               ctx.outcome)


async def _change_password(ctx: Context, account: Account) -> None:
    if ctx.args:
        _refuse(ctx, "arguments", "Type password alone: it asks for each password and hides "
                                  "what you type.")
        return
    if not ctx.session.reads_here():
        _refuse(ctx, "not typed by the player",
                "Only you can change your password, by typing password yourself.")
        return
    old = await _old_password(ctx, account)
    if old is None:
        return
    new = await _new_password(ctx, old)
    if new is None:
        return
    server = ctx.server
    await server.players.set_password_hash(account.id, await server.passwords.hash(new))
    log.info("event=password_changed account=%s address=%s", account.username,
             ctx.session.conn.address)
    ctx.outcome = "ok"
    ctx.send("Your password has been changed. Use the new one from your next login.")


async def _old_password(ctx: Context, account: Account) -> str | None:
    """Ask for the current password and check it against the stored one, as a login is checked
    (a wrong one counts in the login throttle); None, the player told why, unless it is right."""
    server, session, username = ctx.server, ctx.session, account.username
    throttle, host = server.login_throttle, session.conn.host
    wait = await throttle.refused_for(username, host)
    if wait > 0:
        _refuse(ctx, "locked out", "Too many failed logins for this account or from your "
                f"address. Try again in {max(1, round(wait / 60))} minute(s). {UNCHANGED}")
        return None
    old = await session.ask("Old password: ", secret=True)
    stored = await server.players.by_id(account.id)  # the session's copy may be stale
    if stored is None or not await server.passwords.verify(stored.password_hash, old):
        delay = await throttle.failed(username, host)
        log.warning("event=wrong_password account=%s address=%s command=password", username,
                    session.conn.address)
        await asyncio.sleep(delay)
        _refuse(ctx, "wrong password", f"Wrong password. {UNCHANGED}")
        return None
    await throttle.succeeded(username)
    return old


async def _new_password(ctx: Context, old: str) -> str | None:
    """Ask for the new password twice; None, the player told why, unless it is acceptable."""
    new = await ctx.session.ask("New password: ", secret=True)
    problem = auth.password_problem(new)
    if problem:
        _refuse(ctx, problem, f"{problem} {UNCHANGED}")
        return None
    if new == old:
        _refuse(ctx, "unchanged", f"The new password is the same as the old one. {UNCHANGED}")
        return None
    if await ctx.session.ask("Repeat the new password: ", secret=True) != new:
        _refuse(ctx, "mismatch", f"The new passwords do not match. {UNCHANGED}")
        return None
    return new


def _refuse(ctx: Context, reason: str, message: str) -> None:
    """Tell the player; the audit row gets the short reason, never what was typed."""
    ctx.outcome = f"refused: {reason}"
    ctx.send(message)
