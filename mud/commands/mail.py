"""Mail between characters, playing or not: `mail <name>` writes a letter line by line,
`mail` lists the letters you hold, `mail read <n>` and `mail delete <n>` read and throw away.
Letters are kept in PostgreSQL; the count of unread ones is told at login."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.store.mail import Letter
from mud.store.repository import StoreUnavailable

LETTER_LINES = 40
LETTER_CHARS = 4000
END, CANCEL = ".", "~q"
UNREACHABLE = "The post cannot be reached just now. Try again in a moment."


@command("mail", category="communication")
async def mail(ctx: Context) -> None:
    """Send and read letters, to and from characters playing or not.

    Usage: mail      mail <name>      mail read <n>      mail delete <n>
    Writing, end the letter with a line holding only '.', or type '~q' to throw it away.
    """
    words = ctx.args.split()
    try:
        if not words:
            await _list(ctx)
        elif words[0].lower() in ("read", "delete") and len(words) == 2:
            await _one(ctx, words[0].lower(), words[1])
        elif len(words) == 1:
            await _write(ctx, words[0])
        else:
            ctx.send("Usage: mail | mail <name> | mail read <n> | mail delete <n>")
    except StoreUnavailable:
        ctx.send(UNREACHABLE)


async def _list(ctx: Context) -> None:
    letters = await ctx.server.mail.inbox(ctx.ch.id)
    if not letters:
        ctx.send("You have no letters.")
        return
    lines = [f"  {n:>2}. {'new ' if not letter.read else '    '}from {letter.sender}, "
             f"{letter.sent_at:%Y-%m-%d %H:%M}: {_first_line(letter)}"
             for n, letter in enumerate(letters, 1)]
    ctx.send("Your letters:\n" + "\n".join(lines) + "\nType 'mail read <n>'.")


def _first_line(letter: Letter, width: int = 40) -> str:
    first = letter.body.split("\n", 1)[0]
    return first if len(first) <= width else first[:width - 3] + "..."


async def _one(ctx: Context, verb: str, number: str) -> None:
    letters = await ctx.server.mail.inbox(ctx.ch.id)
    index = int(number) - 1 if number.isascii() and number.isdigit() else -1
    if not 0 <= index < len(letters):
        ctx.send(f"You have no letter {number[:10]}." if letters else "You have no letters.")
        return
    letter = letters[index]
    if verb == "delete":
        await ctx.server.mail.delete(ctx.ch.id, letter.id)
        ctx.send(f"You throw away the letter from {letter.sender}.")
        return
    await ctx.server.mail.mark_read(letter.id)
    ctx.page(f"From {letter.sender}, {letter.sent_at:%Y-%m-%d %H:%M}:\n{letter.body}")


async def _write(ctx: Context, name: str) -> None:
    if not name.isalpha():
        ctx.send("Usage: mail <name>")
        return
    online = ctx.game.find_online(name)
    recipient_id = online.id if online else await ctx.server.characters.id_of(name)
    if recipient_id is None:
        ctx.send(f"There is no character called '{name[:20]}'.")
        return
    to = online.name if online else name.capitalize()
    ctx.send(f"You write to {to}. End with a line holding only '{END}', or '{CANCEL}' to "
             f"throw it away. At most {LETTER_LINES} lines.")
    lines: list[str] = []
    while len(lines) < LETTER_LINES:
        line = await ctx.session.ask("] ")
        if line == CANCEL:
            ctx.send("You throw the letter away.")
            return
        if line == END:
            break
        lines.append(line)
    body = "\n".join(lines).strip()
    if not body:
        ctx.send("An empty letter: nothing is sent.")
        return
    if len(body) > LETTER_CHARS:
        ctx.send(f"A letter is at most {LETTER_CHARS} characters; this one is {len(body)}. "
                 "Nothing is sent.")
        return
    if not await ctx.server.mail.send(recipient_id, ctx.ch.name, body):
        ctx.send(f"{to}'s letters are piled too high: nothing is sent.")
        return
    ctx.send(f"Your letter to {to} is sent.")
    if online is not None and not online.ignores(ctx.ch.name):
        ctx.game.tell(online, f"You have a new letter from {ctx.ch.name}. Type 'mail'.")
