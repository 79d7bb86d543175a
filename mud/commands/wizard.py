"""Wizard and admin commands: moving people about, making and clearing things, looking inside
everything, setting numbers, restoring, forcing, echoing, connections and the audit log. The
role each needs is declared here; the registry checks it and the dispatcher audits every use
(mud.commands.dispatch). Broadcast and roles are staff operations (mud.commands.moderation)."""

from __future__ import annotations

import json
import time
from typing import Any

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import command, role_allows
from mud.game import rules
from mud.game.abilities import awaken
from mud.game.fighting import disengage
from mud.game.mobs import Mob
from mud.game.model import Character
from mud.game.state import Room
from mud.text import counted, upper_first

SETTABLE: dict[str, tuple[int, int]] = {  # field -> allowed range (pools: up to the maximum)
    "power": (1, 1000), "speed": (1, 1000), "spirit": (1, 1000), "recovery": (1, 1000),
    "health": (0, 0), "mana": (0, 0), "stamina": (0, 0), "expansion": (0, 50),
}


def _character(ctx: Context, name: str) -> Character | None:
    """A character in this process's world by name (exact, any case); None, told why."""
    ch = ctx.game.find_online(name) if name else None
    if ch is None:
        ctx.refuse(f"No one called '{name[:20]}' is in the world here.")
    else:
        ctx.target = ch.name
    return ch


def _place(ctx: Context, word: str) -> Room | None:
    """A room by id, or the room a character stands in."""
    room = ctx.game.rooms.get(word.lower())
    if room is not None:
        ctx.target = room.id
        return room
    ch = _character(ctx, word)
    return None if ch is None else ctx.game.room_of(ch)


def _teleport(ctx: Context, ch: Character, room: Room) -> None:
    disengage(ctx.game, ch)
    ch.resting = False
    ctx.game.tell_room(ctx.game.room_of(ch), f"{ch.name} vanishes.", exclude=[ch], actor=ch)
    ctx.game.move(ch, room.id)
    ctx.game.tell_room(room, f"{ch.name} appears.", exclude=[ch], actor=ch)


@command("goto", role="wizard", category="wizard")
def goto(ctx: Context) -> None:
    """Go to a room (by id) or to a character. Usage: goto <room id | character>"""
    room = _place(ctx, ctx.args.strip()) if ctx.args else None
    if room is None:
        if not ctx.args:
            ctx.refuse("Usage: goto <room id | character>")
        return
    _teleport(ctx, ctx.ch, room)
    show_room(ctx)


@command("transfer", "summon", role="wizard", category="wizard")
def transfer(ctx: Context) -> None:
    """Bring a character to you. Usage: transfer <character>"""
    ch = _character(ctx, ctx.args.strip())
    if ch is None:
        return
    _teleport(ctx, ch, ctx.room)
    ctx.game.tell(ch, f"{ctx.ch.name} has summoned you.")
    ctx.send(f"You summon {ch.name}.")


@command("at", role="wizard", category="wizard")
async def at(ctx: Context) -> None:
    """Run a command in another room, then come back. Usage: at <room id | character> <command>"""
    from mud.commands.dispatch import interpret

    where, _, line = ctx.args.partition(" ")
    room = _place(ctx, where) if where and line.strip() else None
    if room is None:
        if not (where and line.strip()):
            ctx.refuse("Usage: at <room id | character> <command>")
        return
    here = ctx.room
    ctx.game.unplace(ctx.ch)
    ctx.ch.room_id = room.id
    ctx.game.place(ctx.ch)
    try:
        await interpret(ctx.server, ctx.session, line.strip())
    finally:
        ctx.game.unplace(ctx.ch)
        ctx.ch.move_to(here.id)  # back, and saved as back even if the command moved us
        ctx.game.place(ctx.ch)


@command("spawn", "load", role="wizard", category="wizard")
def spawn(ctx: Context) -> None:
    """Make items or monsters from world data, here. Usage: spawn <item | monster id> [count]"""
    words = ctx.args.split()
    count = int(words[1]) if len(words) > 1 and words[1].isascii() and words[1].isdigit() else 1
    if not words or not 1 <= count <= 100:
        ctx.refuse("Usage: spawn <item | monster id> [count, 1-100]")
        return
    what, room = words[0].lower(), ctx.room
    ctx.target = what
    if what in ctx.game.world.items:
        ctx.game.put_on_floor(room, what, count)
        name = ctx.game.world.items[what].name
    elif what in ctx.game.world.monsters:
        template_m = ctx.game.world.monsters[what]
        room.mobs.extend(Mob(template_m, room.id, template_m.health) for _ in range(count))
        name = template_m.name
    else:
        ctx.refuse(f"There is no item or monster '{what[:40]}' in world data.")
        return
    ctx.send(f"You make {counted(name, count)}.")
    ctx.game.tell_room(room, f"{upper_first(name)} appears out of thin air.", exclude=[ctx.ch])


@command("purge", role="wizard", category="wizard")
def purge(ctx: Context) -> None:
    """Remove monsters and floor items here: all of them, or the one named.

    Usage: purge      purge <monster | item>
    """
    room, now = ctx.room, ctx.game.now()
    if ctx.args:
        spec = ctx.target_spec(ctx.args, "purge")
        if spec is None or spec.keyword is None:
            return
        mobs = [m for m in room.mobs if any(k.startswith(spec.keyword) for k in m.keywords)]
        floor = [f for f in room.items if any(k.startswith(spec.keyword)
                                              for k in ctx.item_words(f))]
        mobs, floor = mobs[:1], ([] if mobs else floor[:1])
        if not mobs and not floor:
            ctx.refuse(f"There is no '{spec.keyword[:20]}' here to purge.")
            return
    else:
        mobs, floor = list(room.mobs), list(room.items)
    for mob in mobs:
        for ch in list(mob.attackers):
            disengage(ctx.game, ch)
        room.mobs.remove(mob)
        ctx.game.fights.discard(mob)
        if mob.slot is not None:  # it respawns as if killed
            mob.slot.mob, mob.slot.died_at = None, now
    for item in floor:
        room.items.remove(item)
    ctx.send(f"Purged {len(mobs)} monster(s) and {len(floor)} item pile(s).")


def _dump(title: str, fields: dict[str, Any]) -> str:
    width = max(map(len, fields), default=0)
    return title + "\n" + "\n".join(f"  {k:<{width}} {v}" for k, v in fields.items())


def _stat_character(ctx: Context, ch: Character) -> str:
    session = ctx.game.players.get(ch.id)
    return _dump(f"Character {ch.name}", {
        "id": ch.id, "player id": ch.player_id, "rank": ch.rank,
        "attributes": f"power {ch.power}, speed {ch.speed}, spirit {ch.spirit}, "
                      f"recovery {ch.recovery}",
        "pools": f"health {ch.health}/{ch.max_health}, mana {ch.mana}/{ch.max_mana}, "
                 f"stamina {ch.stamina}/{ch.max_stamina}",
        "room": ch.room_id, "expansion": ch.inventory_expansion,
        "weak until": time.ctime(ch.weak_until) if ch.weak_until > ctx.game.now() else "-",
        "fighting": ch.fighting.name if ch.fighting else "-", "resting": ch.resting,
        "connected": session is not None, "unsaved": sorted(ch.dirty) or "-",
        "essences": "; ".join(f"{e.essence_type} -> {e.attribute_bound} ({e.rank_bonded})"
                              for e in ch.essences) or "-",
        "abilities": "; ".join(f"{a.ability_name} {a.current_rank}"
                               f"{'' if a.awakened else ' asleep'} {json.dumps(a.metadata)}"
                               for a in ch.abilities) or "-",
        "inventory": "; ".join(f"{i.item_id} x{i.quantity} slot={i.slot} "
                               f"{json.dumps(i.metadata)}" for i in ch.inventory) or "-",
        "quests": "; ".join(f"{q.quest_id} {q.status} {json.dumps(q.progress)}"
                            for q in ch.quests) or "-",
        "skills": "; ".join(f"{s.skill_id} {s.level} ({s.experience})" for s in ch.skills)
                  or "-"})


@command("stat", role="wizard", category="wizard")
def stat(ctx: Context) -> None:
    """Everything about a character, monster, room or item, hidden fields and metadata too.

    Usage: stat <character | monster here | room id | item id>      stat (this room)
    """
    word = ctx.args.strip().lower()
    room = ctx.room
    ctx.target = word or room.id
    found = ctx.game.find_online(word) if word else None
    mob = next((m for m in room.mobs if word and any(k.startswith(word) for k in m.keywords)),
               None)
    if found is not None:
        ctx.send(_stat_character(ctx, found))
    elif mob is not None:
        ctx.send(_dump(f"Monster {mob.template.id} #{mob.uid}", {
            "health": f"{mob.health}/{mob.template.health}", "room": mob.room_id,
            "attackers": ", ".join(c.name for c in mob.attackers) or "-",
            "target": mob.target.name if mob.target else "-",
            "spawned by": mob.slot.room_id if mob.slot else "a wizard",
            "template": mob.template}))
    elif not word or word in ctx.game.rooms:
        target = ctx.game.rooms[word] if word else room
        ctx.send(_dump(f"Room {target.id}", {
            "template": target.template, "floor": [f.__dict__ for f in target.items],
            "monsters": [f"{m.template.id} #{m.uid} {m.health}hp" for m in target.mobs],
            "occupants": [c.name for c in target.occupants]}))
    elif word in ctx.game.world.items:
        ctx.send(_dump(f"Item {word}", {"template": ctx.game.world.items[word]}))
    else:
        ctx.refuse(f"Nothing called '{word[:20]}' here or in world data.")


@command("set", role="wizard", category="wizard")
def set_(ctx: Context) -> None:
    """Set a character's attribute, pool, rank or inventory expansion.

    Usage: set <character> <power|speed|spirit|recovery|health|mana|stamina|rank|expansion>
               <value>
    """
    words = ctx.args.split()
    if len(words) != 3:
        ctx.refuse("Usage: set <character> <field> <value>")
        return
    ch = _character(ctx, words[0])
    if ch is None:
        return
    field, value = words[1].lower(), words[2].lower()
    if field == "rank":
        if value not in rules.RANKS:
            ctx.refuse(f"A rank is one of {', '.join(rules.RANKS)}.")
            return
        ch.rank = value
        awaken(ch, ctx.game.world.essences)
    elif field in SETTABLE:
        low, high = SETTABLE[field]
        if field in rules.POOLS:
            high = ch.pool_max(field)
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            ctx.refuse(f"{field} must be a whole number from {low} to {high}.")
            return
        setattr(ch, "inventory_expansion" if field == "expansion" else field, int(value))
    else:
        ctx.refuse(f"'{field[:20]}' cannot be set; choose one of "
                   f"{', '.join([*SETTABLE, 'rank'])}.")
        return
    ctx.send(f"{ch.name}'s {field} is now {value}.")


@command("restore", role="wizard", category="wizard")
def restore(ctx: Context) -> None:
    """Fill a character's pools (or everyone's) and lift any weakness. Usage: restore <name|all>"""
    word = ctx.args.strip()
    if word.lower() == "all":
        ctx.target = "all"
        targets = ctx.game.present()
    else:
        one = _character(ctx, word)
        if one is None:
            return
        targets = [one]
    for ch in targets:
        ch.health, ch.mana, ch.stamina = ch.max_health, ch.max_mana, ch.max_stamina
        ch.weak_until = 0.0
        if ch is not ctx.ch:
            ctx.game.tell(ch, f"{ctx.ch.name} has restored you.")
    ctx.send(f"Restored {len(targets)} character(s).")


@command("force", role="wizard", category="wizard")
async def force(ctx: Context) -> None:
    """Make a character of a lower role run a command. Usage: force <character> <command>"""
    from mud.commands.dispatch import interpret

    name, _, line = ctx.args.partition(" ")
    ch = _character(ctx, name) if line.strip() else None
    if ch is None:
        if not line.strip():
            ctx.refuse("Usage: force <character> <command>")
        return
    session = ctx.game.players.get(ch.id)
    if session is None:
        ctx.refuse(f"{ch.name} is link-dead.")
        return
    if role_allows(session.role, ctx.session.role):  # type: ignore[attr-defined]
        ctx.refuse(f"You cannot force {ch.name}: their role is not below yours.")
        return
    session.send(f"{ctx.ch.name} forces you to: {line.strip()}")
    await interpret(ctx.server, session, line.strip())  # type: ignore[arg-type]
    ctx.send(f"You force {ch.name} to: {line.strip()}")


@command("echo", role="wizard", category="wizard")
def echo(ctx: Context) -> None:
    """Show text, as it is, to everyone in this room. Usage: echo <text>"""
    if not ctx.args:
        ctx.refuse("Echo what?")
        return
    ctx.game.tell_room(ctx.room, ctx.args)


@command("gecho", role="wizard", category="wizard")
def gecho(ctx: Context) -> None:
    """Show text, as it is, to everyone on this server. Usage: gecho <text>"""
    if not ctx.args:
        ctx.refuse("Echo what?")
        return
    ctx.game.tell_all(ctx.args)


@command("users", role="wizard", category="wizard")
def users(ctx: Context) -> None:
    """The players' connections: address, character, idle time, client, state, gateway.

    Connections still logging in are the gateways' own and are not listed.
    """
    lines = [f"  {c['address']:<22} {c['character'] or '-':<12} idle {c['idle_s']:>6}s  "
             f"{str(c['client'] or '-')[:16]:<16} {c['state']}  via {c['gateway']}"
             + (f"  ({c['account']}, {c['role']})" if c["account"] else "")
             for c in ctx.server.connections()]
    ctx.send(f"{len(lines)} connection(s):\n" + "\n".join(lines))


@command("audit", role="admin", category="admin")
async def audit(ctx: Context) -> None:
    """The newest entries of the audit log. Usage: audit [character] [count]"""
    words = ctx.args.split()
    count = 20
    if words and words[-1].isascii() and words[-1].isdigit():
        count = min(200, max(1, int(words.pop())))
    who = words[0] if words else None
    await ctx.server.audit.flush()  # include what was done a moment ago
    rows = await ctx.server.audit.recent(who, count)
    if not rows:
        ctx.send("No audit entries" + (f" for {who}." if who else "."))
        return
    ctx.send("\n".join(f"  {at:%Y-%m-%d %H:%M:%S} {character:<12} {role:<7} {command:<10} "
                       f"{target[:20]:<20} {outcome}"
                       for at, character, role, command, target, outcome in rows))
