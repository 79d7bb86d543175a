"""What wizards tell everyone and what players tell wizards: the message of the day (shown at
login) and the news, set and posted by wizards; bug, idea and typo reports, which wizards list
and close with `reports`. All kept in PostgreSQL."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command, role_allows
from mud.ops.base import acting, record
from mud.store.reports import KINDS
from mud.store.repository import StoreUnavailable

UNREACHABLE = "That cannot be reached just now. Try again in a moment."
TEXT_MAX = 1000


def _audited(ctx: Context, command_name: str, target: str) -> None:
    """A wizard's change to what everyone reads, in the audit log (the command itself is open
    to players, so the dispatcher does not audit it)."""
    record(ctx.server.audit, acting(ctx.session), command_name, ctx.args, target, "ok")


def _text(ctx: Context, text: str) -> str | None:
    text = " ".join(text.split())
    if len(text) > TEXT_MAX:
        ctx.send(f"That is {len(text)} characters; at most {TEXT_MAX}.")
        return None
    return text


@command("motd", category="information")
async def motd(ctx: Context) -> None:
    """The message of the day, shown at login. Wizards set it or clear it.

    Usage: motd      motd set <text>      motd clear
    """
    words = ctx.args.split(maxsplit=1)
    if not words:
        ctx.send(ctx.server.boards.motd or "There is no message of the day.")
        return
    if not role_allows(ctx.session.role, "wizard") or words[0].lower() not in ("set", "clear"):
        ctx.send("Usage: motd" + (" | motd set <text> | motd clear"
                                  if role_allows(ctx.session.role, "wizard") else ""))
        return
    text = _text(ctx, words[1] if words[0].lower() == "set" and len(words) == 2 else "")
    if text is None:
        return
    try:
        await ctx.server.boards.set_motd(text, ctx.ch.name)
    except StoreUnavailable:
        ctx.send(UNREACHABLE)
        return
    _audited(ctx, "motd", "motd")
    ctx.send(f"The message of the day is now: {text}" if text else
             "The message of the day is cleared.")


@command("news", category="information")
async def news(ctx: Context) -> None:
    """The newest news. Wizards post and remove items.

    Usage: news      news post <text>      news remove <id>
    """
    words = ctx.args.split(maxsplit=1)
    wizard = role_allows(ctx.session.role, "wizard")
    boards = ctx.server.boards
    try:
        if not words:
            items = await boards.news()
            ctx.page("News:\n" + "\n".join(
                f"  [{item.id}] {item.posted_at:%Y-%m-%d} {item.author}: {item.body}"
                for item in items) if items else "There is no news.")
        elif wizard and words[0].lower() == "post" and len(words) == 2:
            text = _text(ctx, words[1])
            if text:
                _audited(ctx, "news", f"news {await boards.post(text, ctx.ch.name)}")
                ctx.send("Your news is posted.")
        elif wizard and words[0].lower() == "remove" and len(words) == 2 \
                and words[1].isascii() and words[1].isdigit():
            removed = await boards.remove(int(words[1]))
            _audited(ctx, "news", f"news {words[1]}")
            ctx.send(f"News item {words[1]} is removed." if removed else
                     f"There is no news item {words[1]}.")
        else:
            ctx.send("Usage: news" + (" | news post <text> | news remove <id>" if wizard else ""))
    except StoreUnavailable:
        ctx.send(UNREACHABLE)


def _report_command(kind: str, summary: str) -> None:
    async def report(ctx: Context) -> None:
        text = _text(ctx, ctx.args)
        if text is None:
            return
        if not text:
            ctx.send(f"Usage: {kind} <what you found>")
            return
        try:
            number = await ctx.server.reports.file(kind, ctx.ch.name, ctx.room.id, text)
        except StoreUnavailable:
            ctx.send(UNREACHABLE)
            return
        ctx.send(f"Thank you: your {kind} report is number {number}. The wizards will see it.")

    report.__doc__ = f"{summary} The wizards read it with where you stood.\n\nUsage: {kind} <text>"
    command(kind, category="communication")(report)


for _kind, _summary in zip(KINDS, ("Report a bug.", "Suggest an idea.", "Report a typo."),
                           strict=True):
    _report_command(_kind, _summary)


@command("reports", role="wizard", category="wizard")
async def reports(ctx: Context) -> None:
    """The open bug, idea and typo reports, oldest first; close one when it is dealt with.

    Usage: reports      reports close <id>
    """
    words = ctx.args.split()
    try:
        if not words:
            found, total = await ctx.server.reports.open()
            lines = [f"  #{r.id} {r.kind} by {r.character} in {r.room_id}, "
                     f"{r.filed_at:%Y-%m-%d %H:%M}: {r.body}" for r in found]
            more = f"\n({total - len(found)} more open.)" if total > len(found) else ""
            ctx.page(f"Open reports ({total}):\n" + "\n".join(lines) + more if found else
                     "There are no open reports.")
        elif len(words) == 2 and words[0].lower() == "close" and words[1].lstrip("#").isdigit():
            number = int(words[1].lstrip("#"))
            ctx.target = f"report {number}"
            closed = await ctx.server.reports.close(number, ctx.ch.name)
            ctx.send(f"Report {number} is closed." if closed else
                     f"There is no open report {number}.")
        else:
            ctx.send("Usage: reports | reports close <id>")
    except StoreUnavailable:
        ctx.send(UNREACHABLE)
