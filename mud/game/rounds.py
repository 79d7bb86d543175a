"""The combat round: each game tick, every character in a fight strikes the monster it
attacks, and every monster in a fight strikes its target or, now and then, uses one of its
abilities (through mud.game.effects, as a character's `use` does). Synchronous and in memory;
the arithmetic is mud.game.combat's, fights, wounds and deaths mud.game.fighting's."""

from __future__ import annotations

from mud.game import combat, equipment, skills
from mud.game.abilities import amount
from mud.game.effects import apply_effect
from mud.game.fighting import (
    MOB_ABILITY_CHANCE,
    character_fighter,
    disengage,
    mob_fighter,
    wimpy,
    wound,
)
from mud.game.mobs import Mob
from mud.game.model import Character
from mud.game.state import Game
from mud.text import upper_first
from mud.world.essences import AbilityTemplate


def combat_round(game: Game, now: float) -> None:
    """Every fight's exchange of blows for this tick."""
    with game.one_line_a_round():
        _exchange_blows(game, now)


def _exchange_blows(game: Game, now: float) -> None:
    for mob in sorted(game.fights, key=lambda mob: mob.uid):  # the same order every run
        present = [c for c in mob.attackers if c.room_id == mob.room_id
                   and game.find_online(c.name) is c]
        for gone in [c for c in mob.attackers if c not in present]:
            disengage(game, gone)
        if not mob.alive or mob not in game.fights:
            continue
        for ch in present:
            if ch.fighting is mob and mob.alive:
                _character_swings(game, ch, mob, now)
        if mob.alive and mob.attackers:
            _mob_acts(game, mob, now)
            if mob.target is not None:
                wimpy(game, mob.target)


def _character_swings(game: Game, ch: Character, mob: Mob, now: float) -> None:
    room = game.rooms[mob.room_id]
    base, skill = equipment.attack(ch, game.world.items)
    dealt = combat.swing(game.rng, base, character_fighter(game, ch, now, True), mob_fighter(mob))
    risen = skills.practise(ch, skill, game.rng)
    if risen:
        game.tell(ch, skills.risen_message(skill, risen))
    if not dealt:
        game.tell(ch, f"You miss {mob.name}.")
        game.tell_room(room, f"{ch.name} misses {mob.name}.", exclude=[ch])
        return
    wielded = equipment.weapon(ch, game.world.items)
    if wielded and equipment.wear_down(*wielded):
        game.tell(ch, f"{upper_first(wielded[1].name)} breaks!")
    game.tell(ch, f"You hit {mob.name} for {dealt}.")
    game.tell_room(room, f"{ch.name} hits {mob.name}.", exclude=[ch])
    wound(game, mob, dealt, ch, now)


def _ready_ability(mob: Mob, game: Game, now: float) -> AbilityTemplate | None:
    wanted = []
    for name in mob.template.abilities:
        template = game.world.essences.by_name.get(name)
        if template is None or mob.ready_at.get(name, 0) > now:
            continue
        if template.effect == "heal" and mob.health * 2 > mob.template.health:
            continue  # heals wait until it is hurt
        wanted.append(template)
    return game.rng.choice(wanted) if wanted else None


def _mob_acts(game: Game, mob: Mob, now: float) -> None:
    if mob.target not in mob.attackers:
        mob.target = mob.attackers[0]
    target = mob.target
    assert target is not None
    ability = _ready_ability(mob, game, now) if game.rng.random() < MOB_ABILITY_CHANCE else None
    if ability is not None:
        mob.ready_at[ability.name] = now + ability.cooldown
        apply_effect(game, mob, ability, target if ability.effect == "damage" else mob,
                     amount(ability, mob.template.rank, mob.template.power), now)
        return
    defender = character_fighter(game, target, now, attacking=False)
    dealt = combat.swing(game.rng, mob.template.damage, mob_fighter(mob), defender)
    if not dealt:
        risen = skills.practise(target, "evasion", game.rng)
        game.tell(target, f"{upper_first(mob.name)} misses you.")
        if risen:
            game.tell(target, skills.risen_message("evasion", risen))
        return
    armour = [(row, game.world.items[row.item_id])
              for row in equipment.worn(target).values()
              if game.world.items[row.item_id].kind == "armour"]
    if armour:
        row, template = game.rng.choice(armour)
        if equipment.wear_down(row, template):
            game.tell(target, f"{upper_first(template.name)} breaks!")
    game.tell(target, f"{upper_first(mob.name)} hits you for {dealt}.")
    game.tell_room(game.rooms[mob.room_id], f"{upper_first(mob.name)} hits {target.name}.",
                   exclude=[target])
    wound(game, target, dealt, mob, now)
