"""Fighting: kill, flee, consider; skills and foraging. Blows are exchanged on the game tick
(mud.game.fighting); these commands start, size up and leave fights."""

from __future__ import annotations

from mud.commands.context import Context
from mud.commands.info import show_room
from mud.commands.registry import Need, command
from mud.commands.targets import select_monsters
from mud.game import combat, skills
from mud.game.fighting import engage, foes_of, size_up
from mud.game.fighting import flee as flee_fight
from mud.game.mobs import Mob
from mud.game.state import Room
from mud.text import upper_first

FORAGE_COST = 5  # stamina


def find_mob(ctx: Context, text: str, verb: str) -> Mob | None:
    """The monster in the room a target names (`wolf`, `2.wolf`); None, told why, if none."""
    spec = ctx.target_spec(text, verb)
    if spec is None:
        return None
    found = select_monsters(ctx.room.mobs, spec) if spec.keyword else []
    if not found:
        ctx.send(f"You see no '{text[:30]}' here to fight.")
        return None
    return found[0]


@command("kill", "attack", "k", category="combat")
def kill(ctx: Context) -> None:
    """Attack a monster. Blows are struck every game tick until one of you falls or you flee.

    Usage: kill <monster>      kill 2.wolf
    """
    mob = find_mob(ctx, ctx.args, "kill")
    if mob is None:
        return
    ch = ctx.ch
    if mob.template.peaceful:
        ctx.send(f"{upper_first(mob.name)} is not someone to fight.")
        return
    if ch.fighting is mob:
        ctx.send(f"You are already fighting {mob.name}!")
        return
    engage(ctx.game, ch, mob)
    ctx.send(f"You attack {mob.name}!")
    ctx.game.tell_room(ctx.room, f"{ch.name} attacks {mob.name}!", exclude=[ch])


@command("flee", category="combat")
def flee(ctx: Context) -> None:
    """Try to run from a fight through a random exit. It can fail."""
    if not foes_of(ctx.game, ctx.ch):
        ctx.send("You are not fighting anyone.")
        return
    way = flee_fight(ctx.game, ctx.ch)
    if way is None:
        ctx.send("You try to flee, but you cannot get away!")
        return
    ctx.send(f"You flee {way}!")
    show_room(ctx)


@command("consider", "con", category="combat")
def consider(ctx: Context) -> None:
    """Size up a monster before you fight it.

    It weighs your blows, abilities and heals (as far as your mana and stamina go) against the
    monster's blows and abilities.

    Usage: consider <monster>
    """
    mob = find_mob(ctx, ctx.args, "consider")
    if mob is None:
        return
    if mob.template.peaceful:
        ctx.send(f"{upper_first(mob.name)} is no threat to anyone.")
        return
    rounds = size_up(ctx.game, ctx.ch, mob, ctx.game.now(), ctx.server.settings.tick_interval)
    ctx.send(f"{upper_first(mob.name)} ({mob.template.rank} rank) "
             f"{combat.assessment(rounds.theirs, rounds.yours)}.")


@command("skills", category="information")
def skills_(ctx: Context) -> None:
    """List your skills: they rise as you use them."""
    ch = ctx.ch
    known = {s.skill_id: s for s in ch.skills}
    lines = ["Your skills:"]
    for info in skills.SKILLS.values():
        skill = known.get(info.id)
        if skill is None:
            lines.append(f"  {info.name:<14} untrained   {info.description}")
        else:
            lines.append(f"  {info.name:<14} level {skill.level:<4} "
                         f"({skill.experience}/{skills.experience_needed(skill.level)})"
                         f"   {info.description}")
    ctx.send("\n".join(lines))


def _forage_chance(level: int) -> float:
    return min(0.9, 0.3 + 0.05 * level)


@command("forage", "gather", category="items", needs=Need.NOT_FIGHTING)
def forage(ctx: Context) -> None:
    """Search the surroundings for useful plants (herbalism). Costs a little stamina."""
    ch, game, room = ctx.ch, ctx.game, ctx.room
    if not room.template.forage:
        ctx.send("Nothing useful grows here.")
        return
    if ch.stamina < FORAGE_COST:
        ctx.send("You are too tired to search.")
        return
    ch.change_pool("stamina", -FORAGE_COST)
    found = game.rng.random() < _forage_chance(skills.level_of(ch, "herbalism"))
    risen = skills.practise(ch, "herbalism", game.rng)
    if not found:
        ctx.send("You search the undergrowth but find nothing useful.")
    else:
        _gather(ctx, room, game.rng.choice(room.template.forage))
    if risen:
        ctx.send(skills.risen_message("herbalism", risen))


def _gather(ctx: Context, room: Room, item_id: str) -> None:
    template = ctx.game.item(item_id)
    if not ctx.ch.can_carry(item_id, template.stackable):
        ctx.send(f"You find {template.name}, but you have no room to carry it.")
        return
    with ctx.game.collecting(ctx.ch):  # a quest may want what is found
        ctx.ch.add_item(item_id, 1, template.stackable)
        ctx.send(f"You find {template.name}.")
    ctx.game.tell_room(room, f"{ctx.ch.name} gathers {template.name}.", exclude=[ctx.ch])
