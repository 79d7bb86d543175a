"""What abilities do, whoever uses them. A character's `use` and a monster's turn in a fight
(mud.game.rounds) both end in apply_effect, so an effect is added in one place: damage strikes
through armour, a heal restores a pool, a buff (running once it is paid for) is announced, a
recall takes its user to the start room and a sense tells who stands in the rooms next door.
Monsters use damage and heals only (world data allows no others).

use_ability is a character's whole use: whether the ability may go to the target and is ready,
the cost, and the effect; learn then has a use that did something earn its progress."""

from __future__ import annotations

from mud.game.abilities import Outcome, refusal, size_for, spend, teaches
from mud.game.errors import GameError
from mud.game.fighting import disengage, engage, foes_of, used_ability, wound
from mud.game.mobs import Mob
from mud.game.model import Ability, Character
from mud.game.progress import grant
from mud.game.state import Game, Room
from mud.text import upper_first
from mud.world.essences import AbilityTemplate

Body = Character | Mob  # who uses an ability, and whom it reaches


# -- a character's use ----------------------------------------------------------------------


def use_ability(game: Game, ch: Character, ability: Ability, template: AbilityTemplate,
                target: Body | None, now: float) -> Outcome:
    """ch uses ability (template: its world data) on target; without one, damage goes to the
    monster ch fights and anything else to ch itself. Raises GameError, with nothing spent,
    when the ability cannot go to that target or is not ready (asleep, cooling down, or more
    mana or stamina than ch has). Returns what the use did (see learn)."""
    if target is None and template.effect == "damage":
        target = ch.fighting if ch.fighting is not None else next(iter(foes_of(game, ch)), None)
    _check_target(ch, ability.ability_name, template, target)
    problem = refusal(ch, ability, template, now)
    if problem:
        raise GameError("NOT_READY", problem)
    size = size_for(ch, ability, template, game.world.essences, now)
    spend(ch, ability, template, now)
    if isinstance(target, Mob):  # the only target a damage ability reaches
        if ch not in target.attackers:
            engage(game, ch, target, switch=ch.fighting is None)
        used_ability(target, ch, ability)  # a kill rewards it
    return apply_effect(game, ch, template, target, size, now)


def learn(game: Game, ch: Character, ability: Ability, template: AbilityTemplate,
          outcome: Outcome) -> None:
    """A use that did something (mud.game.abilities.teaches) earns a point of progress."""
    if teaches(template, outcome):
        grant(game, ch, ability, 1)


def _check_target(ch: Character, name: str, template: AbilityTemplate,
                  target: Body | None) -> None:
    """Raise GameError when the ability cannot go to target: damage is for monsters that fight
    (and needs one), heals for characters, buffs and utilities for the user alone."""
    if target is None and template.effect == "damage":
        raise GameError("NO_TARGET", f"You are not fighting anything. To strike a monster, "
                                     f"use {name} <monster>.")
    if isinstance(target, Mob):
        if template.effect != "damage":
            raise GameError("NOT_FOR_MONSTERS", f"{name} is not for monsters.")
        if target.template.peaceful:
            raise GameError("PEACEFUL", f"{upper_first(target.name)} is not someone to fight.")
    elif target is not None and template.effect == "damage":
        raise GameError("NOT_FOR_PEOPLE", f"You will not turn {name} on "
                        f"{'yourself' if target is ch else target.name}; save it for the "
                        "monsters.")
    elif target not in (None, ch) and template.effect in ("buff", "utility"):
        raise GameError("SELF_ONLY", f"{name} can only be used on yourself.")


# -- the effects ----------------------------------------------------------------------------


def apply_effect(game: Game, user: Body, template: AbilityTemplate, target: Body | None,
                 size: int, now: float) -> Outcome:
    """Carry out one use, already paid for, of an ability of size (mud.game.abilities.amount)
    on target (a heal without one: on its user), telling everyone who is there. Returns what
    it did, for learning."""
    if template.effect == "damage":
        assert target is not None, "damage needs a target"
        return _strike(game, user, template.name, target, size, now)
    if template.effect == "heal":
        return _heal(game, user, template, target or user, size)
    if isinstance(user, Mob):
        raise ValueError(f"monsters use damage and heal abilities, not {template.effect}")
    if template.effect == "buff":
        return _buff(game, user, template, size)
    if template.utility == "recall":
        return _recall(game, user, template.name)
    return _sense(game, user, template.name)


def _strike(game: Game, user: Body, name: str, target: Body, size: int,
            now: float) -> Outcome:
    """Damage: armour does not stop it."""
    _tell(game, user, f"Your {name} hits {target.name} for {size}!")
    _tell(game, target, f"{_called(user)} uses {name} on you for {size}!")
    game.tell_room(_room(game, user), f"{_called(user)} uses {name} on {target.name}.",
                   exclude=_characters(user, target))
    wound(game, target, size, user, now)
    return Outcome(hit_monster=isinstance(target, Mob))


def _heal(game: Game, user: Body, template: AbilityTemplate, who: Body, size: int) -> Outcome:
    name, pool = template.name, template.pool
    gained = _restore(who, pool, size)
    if who is user:
        _tell(game, user, f"You use {name}, restoring {gained} {pool}.")
    else:
        _tell(game, user, f"You use {name} on {who.name}, restoring {gained} {pool}.")
        _tell(game, who, f"{_called(user)} uses {name} on you, restoring {gained} {pool}.")
    looks = " and looks stronger" if isinstance(user, Mob) else ""  # its wounds close, seen
    game.tell_room(_room(game, user), f"{_called(user)} uses {name}{looks}.",
                   exclude=_characters(user, who))
    return Outcome(restored=gained)


def _buff(game: Game, ch: Character, template: AbilityTemplate, size: int) -> Outcome:
    """The buff runs from its payment (mud.game.abilities.spend); here it is told."""
    name = template.name
    game.tell(ch, f"You use {name}: {template.attribute} +{size} for {template.duration}s.")
    game.tell_room(game.room_of(ch), f"{ch.name} uses {name}.", exclude=[ch])
    return Outcome(in_fight=bool(foes_of(game, ch)))


def _recall(game: Game, ch: Character, name: str) -> Outcome:
    home = game.world.start_room
    if ch.room_id == home:
        game.tell(ch, f"You use {name}, but you are already where it would take you.")
        return Outcome(moved=False)
    disengage(game, ch)
    game.tell_room(game.room_of(ch), f"{ch.name} uses {name} and is gone.", exclude=[ch])
    game.tell(ch, f"You use {name}, and the world folds around you.")
    arrived = game.move(ch, home)
    game.tell_room(arrived, f"{ch.name} appears in a ripple of air.", exclude=[ch])
    return Outcome(moved=True)


def _sense(game: Game, ch: Character, name: str) -> Outcome:
    """Who stands in each room next to this one."""
    found, sensed = 0, []
    for direction, room_id in game.room_of(ch).template.exits.items():
        people = [c.name for c in game.rooms[room_id].occupants]
        found += len(people)
        sensed.append(f"  {direction}: {', '.join(people) if people else 'no one'}")
    game.tell(ch, f"You use {name} and reach out with your senses:\n"
                  + ("\n".join(sensed) or "  nothing; there is no way out of here."))
    return Outcome(found=found)


# -- either kind of body --------------------------------------------------------------------


def _restore(who: Body, pool: str, size: int) -> int:
    """Give back size of pool (a monster has health alone); returns what it gained."""
    if isinstance(who, Character):
        return who.change_pool(pool, size)
    before = who.health
    who.health = min(who.template.health, who.health + size)
    return who.health - before


def _tell(game: Game, who: Body, text: str) -> None:
    """Tell a character (monsters are told nothing)."""
    if isinstance(who, Character):
        game.tell(who, text)


def _called(who: Body) -> str:
    """who's name to start a sentence with."""
    return who.name if isinstance(who, Character) else upper_first(who.name)


def _room(game: Game, who: Body) -> Room:
    return game.room_of(who) if isinstance(who, Character) else game.rooms[who.room_id]


def _characters(*bodies: Body) -> list[Character]:
    return [b for b in bodies if isinstance(b, Character)]
