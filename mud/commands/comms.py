"""Talking: say, emote, tell."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command


@command("say", "'", category="communication")
def say(ctx: Context) -> None:
    """Say something to everyone in the room. Usage: say <message>"""
    if not ctx.args:
        ctx.send("Say what?")
        return
    ctx.send(f"You say, '{ctx.args}'")
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} says, '{ctx.args}'", exclude=[ctx.ch])


@command("emote", ":", category="communication")
def emote(ctx: Context) -> None:
    """Act something out for the room: emote waves. Everyone sees 'Name waves.'"""
    if not ctx.args:
        ctx.send("Emote what?")
        return
    ctx.game.tell_room(ctx.room, f"{ctx.ch.name} {ctx.args}")


@command("tell", category="communication")
def tell(ctx: Context) -> None:
    """Send a private message to a character anywhere in the game. Usage: tell <name> <message>"""
    name, _, message = ctx.args.partition(" ")
    message = message.strip()
    if not name or not message:
        ctx.send("Usage: tell <name> <message>")
        return
    target = ctx.game.find_online(name)
    if target is None:
        ctx.send(f"No one called '{name}' is playing.")
        return
    if target is ctx.ch:
        ctx.send("You mutter to yourself.")
        return
    if not ctx.game.is_connected(target):
        ctx.send(f"{target.name} is link-dead and cannot hear you.")
        return
    ctx.game.tell(target, f"{ctx.ch.name} tells you, '{message}'")
    ctx.send(f"You tell {target.name}, '{message}'")
