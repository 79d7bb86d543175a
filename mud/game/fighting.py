"""Fights in the running game: each side's numbers, sizing a fight up, who attacks whom,
wounds, deaths and loot, aggression, respawns and zone resets. Synchronous and in memory; the
arithmetic is mud.game.combat's, the round each tick mud.game.rounds'."""

from __future__ import annotations

import logging
import math

from mud.game import combat, equipment, quests, skills
from mud.game.abilities import amount, effective, size_for, template_of
from mud.game.combat import Fighter, Move
from mud.game.mobs import Mob
from mud.game.model import Ability, Character
from mud.game.progress import grant
from mud.game.state import Game, Room
from mud.text import upper_first

log = logging.getLogger("mud.combat")

MOB_ABILITY_CHANCE = 0.3  # a round in which a monster with a ready ability uses it
MOB_REGENERATION = 10  # percent of its health a monster out of combat regains each tick
TYPING_SECONDS = 1.5  # sizing a fight up, the time a player takes to use one more ability


# -- the two sides --------------------------------------------------------------------------


def character_fighter(game: Game, ch: Character, now: float, attacking: bool) -> Fighter:
    """ch's numbers: the weapon skill's level when it attacks, evasion's when it defends."""
    catalogue, items = game.world.essences, game.world.items
    skill = equipment.attack(ch, items)[1] if attacking else "evasion"
    return Fighter(ch.rank, effective(ch, "power", catalogue, now),
                   effective(ch, "speed", catalogue, now), skills.level_of(ch, skill),
                   equipment.armour(ch, items), ch.weak_until > now)


def mob_fighter(mob: Mob) -> Fighter:
    t = mob.template
    return Fighter(t.rank, t.power, t.speed, 0, t.armour)


def attack_damage(game: Game, ch: Character, now: float) -> int:
    """The damage of ch's blow before armour (what `score` shows)."""
    base = equipment.attack(ch, game.world.items)[0]
    return combat.blow(base, character_fighter(game, ch, now, attacking=True))


# -- sizing up a fight ----------------------------------------------------------------------


def size_up(game: Game, ch: Character, mob: Mob, now: float,
            round_seconds: float) -> combat.Estimate:
    """The rounds ch and mob would each need to fell the other, were they to fight now, by the
    fight's own arithmetic: both sides' blows (hit chance, damage, armour, rank, weakness,
    buffs), ch's awakened damage abilities and heals (as far as its mana and stamina pay for
    them) and mob's abilities. round_seconds is a round's length: cooldowns are in seconds."""
    return combat.estimate(_character_side(game, ch, mob, now, round_seconds),
                           _mob_side(game, mob, ch, now, round_seconds))


def _character_side(game: Game, ch: Character, mob: Mob, now: float,
                    round_seconds: float) -> combat.Side:
    catalogue = game.world.essences
    strikes, heals = [], []
    for ability in ch.abilities:
        template = template_of(ch, ability, catalogue)
        if template is None or not ability.awakened:
            continue
        move = Move(size_for(ch, ability, template, catalogue, now),
                    round_seconds / max(TYPING_SECONDS, template.cooldown), template.cost,
                    template.resource)
        if template.effect == "damage":
            strikes.append(move)
        elif template.effect == "heal" and template.pool == "health":
            heals.append(move)
    blow = combat.expected(equipment.attack(ch, game.world.items)[0],
                           character_fighter(game, ch, now, attacking=True), mob_fighter(mob))
    return combat.Side(ch.health, ch.max_health, blow, tuple(strikes), tuple(heals),
                       {"mana": ch.mana, "stamina": ch.stamina},
                       uses_per_round=round_seconds / TYPING_SECONDS)


def _mob_side(game: Game, mob: Mob, ch: Character, now: float,
              round_seconds: float) -> combat.Side:
    """mob as it fights a round (mud.game.rounds): an ability instead of a blow in some rounds,
    heals when it is down to half its health, anything else striking the character."""
    t = mob.template
    known = [a for a in map(game.world.essences.by_name.get, t.abilities) if a is not None]
    paces = [_mob_pace(a.cooldown, round_seconds) for a in known]
    share = min(1.0, MOB_ABILITY_CHANCE / sum(paces)) if paces else 1.0  # one chance a round
    moves = [(a.effect, Move(amount(a, t.rank, t.power), pace * share))
             for a, pace in zip(known, paces, strict=True)]
    blow = combat.expected(t.damage, mob_fighter(mob),
                           character_fighter(game, ch, now, attacking=False))
    return combat.Side(mob.health, t.health, blow,
                       strikes=tuple(m for effect, m in moves if effect != "heal"),
                       heals=tuple(m for effect, m in moves if effect == "heal"),
                       heals_below=0.5, abilities_replace_blow=True)


def _mob_pace(cooldown: float, round_seconds: float) -> float:
    """A monster's uses of one ability a round, on average: after each it waits out the
    cooldown (whole rounds), then takes its chance every round."""
    waited = max(1, math.ceil(cooldown / round_seconds))
    return 1 / (waited - 1 + 1 / MOB_ABILITY_CHANCE)


# -- starting and ending fights -------------------------------------------------------------


def engage(game: Game, ch: Character, mob: Mob, switch: bool = True) -> None:
    """ch and mob fight; ch turns its blows on mob unless switch is False and it is already
    fighting another (a monster joining in)."""
    if switch or ch.fighting is None:
        ch.fighting = mob
    ch.resting = False
    if ch not in mob.attackers:
        mob.attackers.append(ch)
    if mob.target is None:
        mob.target = ch
    game.fights.add(mob)


def disengage(game: Game, ch: Character) -> None:
    """ch leaves every fight it is in (it fled, walked away, died or left the game)."""
    ch.fighting = None
    for mob in list(game.fights):
        if ch in mob.attackers:
            mob.attackers.remove(ch)
        if mob.target is ch:
            mob.target = mob.attackers[0] if mob.attackers else None
        if not mob.attackers:
            game.fights.discard(mob)


def foes_of(game: Game, ch: Character) -> list[Mob]:
    """Monsters fighting ch in its room."""
    return [m for m in game.fights if m.room_id == ch.room_id and ch in m.attackers]


# -- damage and death -----------------------------------------------------------------------


def hurt(game: Game, mob: Mob, dealt: int, by: Character, now: float) -> None:
    """Damage mob; at 0 health it dies, drops its loot and rewards the fight's abilities."""
    mob.health -= dealt
    if mob.health <= 0:
        _mob_dies(game, mob, by, now)


def used_ability(mob: Mob, ch: Character, ability: Ability) -> None:
    """Remember that ch used ability on mob: a kill rewards it."""
    mob.used.setdefault(ch.id, set()).add(ability.id)


def _mob_dies(game: Game, mob: Mob, killer: Character, now: float) -> None:
    room = game.rooms[mob.room_id]
    name = upper_first(mob.name)
    game.tell_room(room, f"{name} is dead!")
    room.mobs.remove(mob)
    game.fights.discard(mob)
    if mob.slot is not None:
        mob.slot.mob, mob.slot.died_at = None, now
    loot = combat.roll_loot(mob.template, game.rng)
    for item_id, quantity in loot:
        game.put_on_floor(room, item_id, quantity)
    if loot:
        game.tell_room(room, f"{name} drops " + ", ".join(
            game.label(item_id, quantity) for item_id, quantity in loot) + ".")
        _loot_for(game, killer, room, loot)
    points = combat.ability_progress_for_kill(mob.template.rank)
    fought = [c for c in room.occupants if c in mob.attackers or c.id in mob.used]
    credited = list(fought)  # and their group mates standing there: the kill counts for them
    for ch in fought:
        credited += [m for m in game.groups.mates_in(ch, room.id) if m not in credited]
    for ch in credited:
        for ability in [a for a in ch.abilities if a.id in mob.used.get(ch.id, ())]:
            grant(game, ch, ability, points)
        for quest, objective, count in quests.record(ch, game.world.quests, "kill",
                                                     mob.template.id):
            game.tell(ch, f"[{quest.name}] {game.world.monsters[objective.target].name}: "
                          f"{count}/{objective.count}")
        if ch.fighting is mob:
            ch.fighting = None
            others = foes_of(game, ch)
            if others:
                ch.fighting = others[0]
    log.info("event=monster_killed monster=%s room=%s killer=%s loot=%s", mob.template.id,
             mob.room_id, killer.name, ",".join(i for i, _ in loot) or "-")
    mob.attackers.clear()


def _loot_for(game: Game, killer: Character, room: Room, loot: list[tuple[str, int]]) -> None:
    """What the killer's autoloot (everything) or autocoin (coins) picks up of a kill's drop,
    when it stands there, playing. In a group with mates standing there, the coins are shared
    out among them (the killer keeps what does not divide) and the other things are left on
    the floor for the group."""
    if not (killer.autoloot or killer.autocoin) or killer.room_id != room.id \
            or not game.is_connected(killer):
        return
    mates = [m for m in game.groups.mates_in(killer, room.id) if game.is_connected(m)]
    with game.collecting(killer, *mates):
        for item_id, quantity in loot:
            if game.world.items[item_id].kind != "currency":
                if killer.autoloot and not mates and not _take(game, killer, room, item_id,
                                                               quantity):
                    return
                continue
            share, left = divmod(quantity, 1 + len(mates))
            for member, count in [(killer, share + left), *((m, share) for m in mates)]:
                if count and not _take(game, member, room, item_id, count):
                    break


def _take(game: Game, ch: Character, room: Room, item_id: str, quantity: int) -> bool:
    """ch picks up quantity of item_id from the floor (its piles without metadata); False when
    its pack filled first (ch is told)."""
    for floor in [f for f in room.items if f.item_id == item_id and not f.metadata]:
        taking = min(quantity, floor.quantity)
        label = game.pick_up(ch, room, floor, taking)
        if label is None:
            game.tell(ch, "Your pack is full: the rest of the loot stays here.")
            return False
        game.tell(ch, f"You pick up {label}.")
        quantity -= taking
        if quantity <= 0:
            break
    return True


def flee(game: Game, ch: Character) -> str | None:
    """ch tries to run from its fights through a random exit (the fastest foe makes it harder):
    the way it fled, having moved and been seen to go and arrive, or None when it could not."""
    room = game.room_of(ch)
    exits = list(room.template.exits)
    fastest = max((m.template.speed for m in foes_of(game, ch)), default=0)
    if not exits or game.rng.random() >= combat.flee_chance(ch.speed, fastest):
        game.tell_room(room, f"{ch.name} tries to flee, but fails.", exclude=[ch])
        return None
    way = game.rng.choice(exits)
    disengage(game, ch)
    game.tell_room(room, f"{ch.name} flees {way}!", exclude=[ch])
    arrived = game.move(ch, room.template.exits[way])
    game.tell_room(arrived, f"{ch.name} arrives in a hurry.", exclude=[ch])
    return way


def wimpy(game: Game, ch: Character) -> None:
    """ch flees on its own when a blow left its health below its wimpy setting."""
    if not (0 < ch.health < ch.wimpy and foes_of(game, ch)):
        return
    game.tell(ch, "Wounded, you try to flee!")
    way = flee(game, ch)
    game.tell(ch, f"You flee {way}, to {game.room_of(ch).template.name}." if way else
              "You cannot get away!")


def wound(game: Game, target: Character | Mob, dealt: int, by: Character | Mob,
          now: float) -> None:
    """Damage target, struck by by (characters strike monsters, monsters strike characters):
    a monster at 0 health dies (hurt), a character wakes in the recovery room (character_dies)."""
    if isinstance(target, Mob):
        assert isinstance(by, Character), "monsters strike characters only"
        hurt(game, target, dealt, by, now)
        return
    assert isinstance(by, Mob), "characters strike monsters only"
    target.change_pool("health", -dealt)
    if target.health <= 0:
        character_dies(game, target, by, now)


def character_dies(game: Game, ch: Character, mob: Mob, now: float) -> None:
    """ch wakes in its zone's recovery room with a quarter of its pools and a weakness; it
    loses nothing it carries and nothing bonded."""
    room = game.room_of(ch)
    disengage(game, ch)
    game.tell(ch, f"{upper_first(mob.name)} strikes you down. Everything goes dark...")
    game.tell_room(room, f"{ch.name} has been slain by {mob.name}!", exclude=[ch])
    ch.health = combat.pools_after_death(ch.max_health)
    for pool in ("mana", "stamina"):
        setattr(ch, pool, min(getattr(ch, pool), combat.pools_after_death(ch.pool_max(pool))))
    ch.weak_until = now + game.world.weakness_seconds
    ch.resting = False
    arrived = game.move(ch, game.world.recovery_room(room.id))
    game.tell(ch, f"You wake {arrived.template.where}, weak and shaking. You will be weak "
                  f"for {game.world.weakness_seconds} seconds.")
    game.tell_room(arrived, f"{ch.name} stumbles in, pale and shaking.", exclude=[ch])
    log.info("event=character_died character=%s monster=%s room=%s", ch.name,
             mob.template.id, room.id)


# -- the world's clock ----------------------------------------------------------------------


def aggression(game: Game) -> None:
    """Aggressive monsters attack a connected character in their room."""
    for slot in game.slots:
        mob = slot.mob
        if mob is None or not mob.template.aggressive or mob.in_combat:
            continue
        prey = [c for c in game.rooms[mob.room_id].occupants if game.is_connected(c)]
        if prey:
            target = game.rng.choice(prey)
            mob.target = target
            game.tell(target, f"{upper_first(mob.name)} attacks you!")
            game.tell_room(game.rooms[mob.room_id], f"{upper_first(mob.name)} attacks "
                                                    f"{target.name}!", exclude=[target])
            engage(game, target, mob, switch=False)


def respawn(game: Game, now: float) -> None:
    """Dead monsters whose time has come return; resting monsters heal."""
    for slot in game.slots:
        mob = slot.mob
        if mob is None:
            if now - slot.died_at >= game.world.monsters[slot.monster_id].respawn:
                mob = game.spawn(slot)
                game.tell_room(game.rooms[slot.room_id], f"{upper_first(mob.name)} arrives.")
        elif not mob.in_combat and mob.health < mob.template.health:
            mob.health = min(mob.template.health,
                             mob.health + max(1, mob.template.health * MOB_REGENERATION // 100))


def reset_zone(game: Game, zone_id: str) -> int:
    """Put back the floor items a zone's rooms are missing (never more than the world places
    there); what players carry is not touched. Returns how many items came back."""
    returned = 0
    for room in game.rooms.values():
        if room.template.zone != zone_id:
            continue
        for spawn in room.template.items:
            present = sum(f.quantity for f in room.items if f.item_id == spawn.id)
            missing = spawn.count - present
            if missing > 0:
                game.put_on_floor(room, spawn.id, missing)
                returned += missing
    return returned

