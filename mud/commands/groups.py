"""Playing together: follow someone, group up (invite, accept, leave, kick, and the list with
everyone's pools), and talk to the group wherever its members are (gtell)."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.registry import command
from mud.commands.targets import SELF_WORDS
from mud.game.errors import GameError
from mud.game.model import Character
from mud.game.presence import part_company


def _here(ctx: Context, name: str) -> Character | None:
    """The character called name in the caller's room, or None (the caller told so)."""
    found = next((c for c in ctx.room.occupants if c.name.lower() == name.lower()
                  and ctx.game.sees(ctx.ch, c)), None)
    if found is None:
        ctx.send(f"There is no one called '{name[:20]}' here.")
    return found


@command("follow", category="communication")
def follow(ctx: Context) -> None:
    """Walk after someone wherever they go, or stop.

    Usage: follow      follow <name>      follow self (stop)
    """
    ch, word = ctx.ch, ctx.args.split()[0].lower() if ctx.args else ""
    groups = ctx.game.groups
    followed = groups.followed_by(ch)
    if not word:
        ctx.send(f"You follow {followed.name}." if followed else "You follow no one.")
        return
    if word in SELF_WORDS or word == ch.name.lower():
        if followed is None:
            ctx.send("You follow no one.")
            return
        ctx.game.tell(followed, f"{ch.name} stops following you.")
        ctx.send(f"You stop following {followed.name}.")
        del groups.following[ch.id]
        return
    leader = _here(ctx, word)
    if leader is None:
        return
    groups.following[ch.id] = leader.id
    ctx.send(f"You now follow {leader.name}.")
    ctx.game.tell(leader, f"{ch.name} now follows you.")


def _pools(ch: Character) -> str:
    return (f"{ch.health}/{ch.max_health} hp {ch.mana}/{ch.max_mana} mp "
            f"{ch.stamina}/{ch.max_stamina} st")


@command("group", "party", category="communication")
def group(ctx: Context) -> None:
    """Group up: a group shares its kills' quest credit among those standing there.

    Usage: group      group invite <name>      group accept [leader]      group leave
           group kick <name> (the leader)
    """
    ch, game = ctx.ch, ctx.game
    words = ctx.args.split()
    verb = words[0].lower() if words else ""
    try:
        if not verb:
            _list(ctx)
        elif verb == "invite" and len(words) == 2:
            invited = game.find_online(words[1])
            if invited is None or not game.sees(ch, invited):
                ctx.send(f"No one called '{words[1][:20]}' is playing.")
                return
            game.groups.invite(ch, invited)
            ctx.send(f"You invite {invited.name} to your group.")
            game.tell(invited, f"{ch.name} invites you to their group. Type 'group accept'.")
        elif verb == "accept" and len(words) <= 2:
            leader = game.find_online(words[1]) if len(words) == 2 else None
            if len(words) == 2 and leader is None:
                ctx.send(f"No one called '{words[1][:20]}' is playing.")
                return
            joined = game.groups.accept(ch, leader)
            for member in game.groups.members(joined):
                game.tell(member, "You join the group." if member is ch else
                          f"{ch.name} joins the group.")
        elif verb == "leave" and len(words) == 1:
            if game.groups.of(ch) is None:
                ctx.send("You are in no group.")
                return
            part_company(game, ch)
            ctx.send("You leave the group.")
        elif verb == "kick" and len(words) == 2:
            mine = game.groups.of(ch)
            leading = mine is not None and mine.leader == ch.id
            kicked = next((m for m in game.groups.members(mine)
                           if m.name.lower() == words[1].lower()), None) if leading else None
            if kicked is None or kicked is ch:
                ctx.send("Leave it instead." if kicked is ch else
                         "You lead no group with them in it.")
                return
            game.groups.leave(kicked)
            game.tell(kicked, f"{ch.name} puts you out of the group.")
            for member in game.groups.members(mine):
                game.tell(member, f"{kicked.name} is put out of the group.")
        else:
            ctx.send("Usage: group | group invite <name> | group accept [leader] | "
                     "group leave | group kick <name>")
    except GameError as exc:
        ctx.send(exc.message)


def _list(ctx: Context) -> None:
    game, groups = ctx.game, ctx.game.groups
    mine = groups.of(ctx.ch)
    if mine is None:
        leaders = [c.name for c in map(groups.character, (g.leader for g in groups.invitations(
            ctx.ch))) if c is not None]
        ctx.send("You are in no group." + (f" Invited by {', '.join(leaders)}: type 'group "
                                           "accept'." if leaders else ""))
        return
    members = groups.members(mine)
    width = max(len(m.name) for m in members)
    lines = [f"  {m.name:<{width}}  {_pools(m)}  {game.room_of(m).template.name}"
             + ("" if game.is_connected(m) else " (link-dead)") for m in members]
    invited = [c.name for c in map(groups.character, mine.invited) if c is not None]
    head = groups.character(mine.leader) or members[0]
    ctx.send(f"{head.name}'s group:\n" + "\n".join(lines)
             + (f"\nInvited: {', '.join(sorted(invited))}." if invited else ""))


@command("gtell", "gt", category="communication")
def gtell(ctx: Context) -> None:
    """Say something to your group, wherever its members are. Usage: gtell <message>"""
    mine = ctx.game.groups.of(ctx.ch)
    if mine is None:
        ctx.send("You are in no group.")
        return
    if not ctx.args:
        ctx.send("Tell your group what?")
        return
    ctx.send(f"You tell the group, '{ctx.args}'")
    for member in ctx.game.groups.members(mine):
        if member is not ctx.ch and not member.ignores(ctx.ch.name):
            ctx.game.tell(member, f"{ctx.ch.name} tells the group, '{ctx.args}'")
