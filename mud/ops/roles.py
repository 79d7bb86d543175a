"""Roles: promoting and demoting accounts. A new role holds at once on the account's live
sessions (from their next command on) and is told to them."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from mud.ops.base import Actor, Result, Usage, operation
from mud.roles import ROLES

if TYPE_CHECKING:
    from mud.ops.staff import Staff
    from mud.store.players import Account

log = logging.getLogger("mud.ops")


async def set_role(staff: Staff, username: str, role: str) -> Account | None:
    """Give an account a role, in the database and on its live sessions. None when there is no
    such account."""
    account = await staff.players.by_username(username)
    if account is None or not await staff.players.set_role(account.username, role):
        return None
    for session in staff.sessions:
        if session.account is not None and session.account.id == account.id:
            session.account = dataclasses.replace(session.account, role=role)
            session.send(f"You are now {role}.")
    log.warning("event=role_changed account=%s role=%s", account.username, role)
    return dataclasses.replace(account, role=role)


async def _change_role(staff: Staff, args: str, raising: bool) -> Result:
    """Give the account args name the role they name, when that raises it (or, not raising,
    lowers it)."""
    words = args.split()
    if len(words) != 2 or words[1].lower() not in ROLES:
        raise Usage
    username, role = words[0], words[1].lower()
    account = await staff.players.by_username(username)
    if account is None:
        return Result(False, f"There is no account named '{username[:30]}'.", target=username)
    if role == account.role or (ROLES.index(role) > ROLES.index(account.role)) != raising:
        return Result(False, f"{account.username} is {account.role}; that would not be a "
                             f"{'promotion' if raising else 'demotion'}.",
                      target=account.username)
    if await set_role(staff, account.username, role) is None:
        return Result(False, f"The account '{account.username}' has just gone away.",
                      target=account.username)
    return Result(True, f"{account.username} is now {role}.", {"role": role},
                  target=account.username)


@operation("promote", "promote <account> <builder | wizard | admin>")
async def promote(staff: Staff, actor: Actor, args: str) -> Result:
    """Raise an account's role (it holds from its next command)."""
    return await _change_role(staff, args, raising=True)


@operation("demote", "demote <account> <player | builder | wizard>")
async def demote(staff: Staff, actor: Actor, args: str) -> Result:
    """Lower an account's role (it holds from its next command)."""
    return await _change_role(staff, args, raising=False)
