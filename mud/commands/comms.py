"""Talking: say, emote, whisper, shout, tell and reply, and the channels everyone hears: chat,
ooc, newbie. What a player says of themselves (title, afk) and whom they do not want to read
(ignore)."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.game.model import Character
from mud.game.state import Game


@command("say", "'", category="communication")
def say(ctx: Context) -> None:
    """Say something to everyone in the room. Usage: say <message>"""
    if not ctx.args:
        ctx.send("Say what?")
        return
    ctx.send(f"You say, '{ctx.args}'")
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} says, '{ctx.args}'", exclude=[ctx.ch],
                       speaker=ctx.ch)


@command("emote", ":", category="communication")
def emote(ctx: Context) -> None:
    """Act something out for the room: emote waves. Everyone sees 'Name waves.'"""
    if not ctx.args:
        ctx.send("Emote what?")
        return
    ctx.send(f"{ctx.ch.name} {ctx.args}")
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} {ctx.args}", exclude=[ctx.ch], speaker=ctx.ch)


@command("tell", category="communication")
async def tell(ctx: Context) -> None:
    """Send a private message to a character anywhere in the game. Usage: tell <name> <message>"""
    name, _, message = ctx.args.partition(" ")
    message = message.strip()
    if not name or not message:
        ctx.send("Usage: tell <name> <message>")
        return
    await _tell(ctx, name, message)


@command("reply", category="communication")
async def reply(ctx: Context) -> None:
    """Answer whoever last told you something. Usage: reply <message>"""
    if ctx.session.reply_to is None:
        ctx.send("No one has told you anything yet.")
        return
    if not ctx.args:
        ctx.send("Reply what?")
        return
    await _tell(ctx, ctx.session.reply_to, ctx.args)


async def _tell(ctx: Context, name: str, message: str) -> None:
    target = ctx.game.find_online(name)
    if target is ctx.ch:
        ctx.send("You mutter to yourself.")
        return
    if target is not None:
        session = ctx.game.players.get(target.id)
        if session is None:
            ctx.send(f"{target.name} is link-dead and cannot hear you.")
            return
        if target.ignores(ctx.ch.name):
            ctx.send(f"{target.name} is ignoring you.")
            return
        session.send(f"{ctx.ch.name} tells you, '{message}'")
        session.reply_to = ctx.ch.name  # type: ignore[attr-defined]
        ctx.send(f"You tell {target.name}, '{message}'")
        if target.afk is not None:
            ctx.send(f"{target.name} is away: {target.afk}")
        return
    ctx.send(f"No one called '{name[:20]}' is playing.")


CHANNELS: dict[str, str] = {
    "chat": "talk about anything with everyone in the game",
    "ooc": "out of character: the people behind the characters",
    "newbie": "questions and help for new players",
}


def channel_line(channel: str, speaker: str, text: str) -> str:
    return f"[{channel}] {speaker}: {text}"


def deliver_channel(game: Game, channel: str, speaker: str, text: str) -> None:
    """A channel line to every player listening to it (and to GMCP's Comm.Channel)."""
    line = channel_line(channel, speaker, text)
    for session in list(game.players.values()):
        listener = session.character
        if channel not in getattr(session, "channels_off", ()) and not (
                listener is not None and listener.ignores(speaker)):
            session.send(line)
            session.gmcp.channel(channel, speaker, text)  # type: ignore[attr-defined]


def _channel_command(channel: str, summary: str) -> None:
    async def speak(ctx: Context) -> None:
        if not ctx.args:
            lines = await ctx.server.channel_history.recent(channel)
            if lines is None:
                ctx.send(f"The {channel} history cannot be reached just now.")
            else:
                ctx.send(f"Recent {channel}:\n" + ("\n".join(f"  {x}" for x in lines)
                                                   or "  (nothing yet)"))
            return
        if channel in ctx.session.channels_off:
            ctx.send(f"You have {channel} turned off. Type 'channels on {channel}'.")
            return
        deliver_channel(ctx.game, channel, ctx.ch.name, ctx.args)
        ctx.server.channel_history.keep(channel, channel_line(channel, ctx.ch.name, ctx.args))

    speak.__doc__ = (f"Talk on the {channel} channel: {summary}.\n\n"
                     f"Usage: {channel} <message>      {channel} (the recent history)")
    command(channel, category="communication")(speak)


for _channel, _summary in CHANNELS.items():
    _channel_command(_channel, _summary)


@command("channels", category="communication")
def channels(ctx: Context) -> None:
    """List the channels, or turn one on or off.

    Usage: channels      channels off chat      channels on chat
    """
    words = ctx.args.lower().split()
    if len(words) == 2 and words[0] in ("on", "off") and words[1] in CHANNELS:
        if words[0] == "off":
            ctx.session.channels_off.add(words[1])
        else:
            ctx.session.channels_off.discard(words[1])
        ctx.send(f"The {words[1]} channel is {words[0]}.")
        return
    if words:
        ctx.send("Usage: channels | channels on <channel> | channels off <channel>")
        return
    ctx.send("Channels:\n" + "\n".join(
        f"  {name:<8} {'off' if name in ctx.session.channels_off else 'on ':<4} {summary}"
        for name, summary in CHANNELS.items()))


@command("finger", "whois", category="communication")
async def finger(ctx: Context) -> None:
    """What is known of a character, playing or not. Usage: finger <name>"""
    name = ctx.args.split()[0] if ctx.args else ""
    if not name.isalpha():
        ctx.send("Usage: finger <name>")
        return
    here = ctx.game.find_online(name)
    if here is not None and ctx.game.sees(ctx.ch, here):
        away = f" Away: {here.afk}" if here.afk is not None else ""
        ctx.send(f"{_titled(here)}, {here.rank} rank, is playing now.{away}")
        return
    ch = await ctx.server.cache.by_name(name)
    if ch is None:
        character_id = await ctx.server.characters.id_of(name)
        ch = None if character_id is None else await ctx.server.characters.load(character_id)
    if ch is None:
        ctx.send(f"There is no character called '{name[:20]}'.")
        return
    essences = ", ".join(e.essence_type for e in ch.essences) or "none"
    seen = await ctx.server.characters.last_seen(ch.name)
    last = f" Last seen {seen:%Y-%m-%d %H:%M} UTC." if seen else ""
    ctx.send(f"{_titled(ch)}, {ch.rank} rank, is not playing now.{last} Essences: {essences}.")


def _titled(ch: Character) -> str:
    return f"{ch.name} {ch.title}" if ch.title else ch.name


@command("whisper", category="communication")
def whisper(ctx: Context) -> None:
    """Say something to one person in the room; the others see only that you whispered.

    Usage: whisper <name> <message>
    """
    name, _, message = ctx.args.partition(" ")
    message = message.strip()
    if not name or not message:
        ctx.send("Usage: whisper <name> <message>")
        return
    room = ctx.room
    target = next((c for c in room.occupants if c.name.lower() == name.lower()
                   and c is not ctx.ch and ctx.game.sees(ctx.ch, c)), None)
    if target is None:
        ctx.send(f"There is no one called '{name[:20]}' here.")
        return
    ctx.send(f"You whisper to {target.name}, '{message}'")
    if not target.ignores(ctx.ch.name):
        ctx.game.tell(target, f"{ctx.ch.name} whispers to you, '{message}'")
    ctx.game.tell_room(room, f"{ctx.ch.name} whispers something to {target.name}.",
                       exclude=[ctx.ch, target], actor=ctx.ch, speaker=ctx.ch)


@command("shout", "yell", category="communication")
def shout(ctx: Context) -> None:
    """Shout to everyone in this part of the world (the zone you are in).

    Usage: shout <message>
    """
    if not ctx.args:
        ctx.send("Shout what?")
        return
    game, zone = ctx.game, ctx.room.template.zone
    ctx.send(f"You shout, '{ctx.args}'")
    line = f"{ctx.ch.name} shouts, '{ctx.args}'"
    for other in game.present():
        if (other is not ctx.ch and game.room_of(other).template.zone == zone
                and not other.ignores(ctx.ch.name)):
            game.tell(other, line)


IGNORE_MAX = 50  # names one character may ignore


@command("ignore", category="communication")
async def ignore(ctx: Context) -> None:
    """Stop reading what someone says, or list whom you ignore.

    Their says, emotes, whispers, shouts, tells, channel lines and socials are not shown to you.
    The same again stops ignoring them. The list is kept with your character.

    Usage: ignore      ignore <name>
    """
    ch = ctx.ch
    if not ctx.args:
        ctx.send("You ignore " + (", ".join(n.capitalize() for n in ch.ignoring) + "."
                                  if ch.ignoring else "no one."))
        return
    name = ctx.args.split()[0].lower()
    if name in ch.ignoring:
        ch.ignoring = tuple(n for n in ch.ignoring if n != name)
        ctx.send(f"You no longer ignore {name.capitalize()}.")
        return
    if name == ch.name.lower():
        ctx.send("You cannot ignore yourself.")
        return
    if not name.isalpha() or (ctx.game.find_online(name) is None
                              and await ctx.server.characters.id_of(name) is None):
        ctx.send(f"There is no character called '{name[:20]}'.")
        return
    if len(ch.ignoring) >= IGNORE_MAX:
        ctx.send(f"You already ignore {IGNORE_MAX} characters. Stop ignoring one first.")
        return
    ch.ignoring = (*ch.ignoring, name)
    ctx.send(f"You now ignore {name.capitalize()}. Type 'ignore {name}' again to stop.")


AFK_MAX = 80  # characters of an away message
TITLE_MAX = 40


def _one_line(text: str, limit: int) -> str | None:
    """text as a short, plain line, or None when it is too long."""
    text = " ".join(text.split())
    return text if len(text) <= limit else None


@command("afk", "away", category="communication")
def afk(ctx: Context) -> None:
    """Mark yourself away from the keyboard.

    `who` shows it, and whoever tells you something reads your message. Your next command
    marks you back.

    Usage: afk [message]
    """
    message = _one_line(ctx.args, AFK_MAX) if ctx.args else "away from keyboard"
    if message is None:
        ctx.send(f"An away message is at most {AFK_MAX} characters.")
        return
    ctx.ch.afk = message
    ctx.send(f"You are away: {message}")


@command("title", category="communication")
def title(ctx: Context) -> None:
    """Set the title `who` shows after your name.

    Usage: title      title the Wanderer      title clear
    """
    ch = ctx.ch
    if not ctx.args:
        ctx.send(f"Your title: {ch.title}" if ch.title else "You have no title.")
        return
    if ctx.args.lower() == "clear":
        ch.title = None
        ctx.send("Your title is cleared.")
        return
    text = _one_line(ctx.args, TITLE_MAX)
    if text is None:
        ctx.send(f"A title is at most {TITLE_MAX} characters.")
        return
    ch.title = text
    ctx.send(f"You are now {ch.name} {text}.")
