"""The fight engine in memory (no server, seeded randomness): several characters on one
monster, several monsters on one character, aggression, death, respawn and zone resets."""

from __future__ import annotations

import random
import uuid
from pathlib import Path

from mud.game import fighting, rounds
from mud.game.clock import Clock
from mud.game.mobs import Mob
from mud.game.model import Character, starting_character
from mud.game.state import Game
from mud.world.loader import load_world

WORLD = load_world(Path(__file__).resolve().parent.parent / "world")


class Listener:
    """A connected player that remembers what it was told."""

    def __init__(self, ch: Character) -> None:
        self.character: Character | None = ch
        self.heard: list[str] = []

    def send(self, text: str) -> None:
        self.heard.append(text)

    def close(self, reason: str) -> None:
        self.heard.append(reason)


def setup(room_id: str, names: list[str]) -> tuple[Game, list[Character], list[list[str]]]:
    """A game with characters standing in room_id; returns what each of them hears."""
    game = Game(WORLD)
    game.rng = random.Random(5)
    characters, listeners = [], []
    for name in names:
        ch = starting_character(uuid.uuid4(), name, room_id)
        game.characters[ch.id] = ch
        listener = Listener(ch)
        game.players[ch.id] = listener
        game.place(ch)
        characters.append(ch)
        listeners.append(listener.heard)
    return game, characters, listeners


def hostile_room() -> tuple[str, str]:
    """A room with a hostile, non-aggressive monster, and that monster's id."""
    for room in WORLD.rooms.values():
        for spawn in room.monsters:
            template = WORLD.monsters[spawn.id]
            if not template.peaceful and not template.aggressive:
                return room.id, spawn.id
    raise AssertionError("the world has no hostile, non-aggressive monster")


def add_mob(game: Game, room_id: str, monster_id: str) -> Mob:
    template = WORLD.monsters[monster_id]
    mob = Mob(template, room_id, template.health)
    game.rooms[room_id].mobs.append(mob)
    return mob


def test_several_characters_fight_one_monster_until_it_dies() -> None:
    room_id, monster_id = hostile_room()
    game, (ann, bob), (ann_hears, bob_hears) = setup(room_id, ["Ann", "Bob"])
    mob = add_mob(game, room_id, monster_id)
    fighting.engage(game, ann, mob)
    fighting.engage(game, bob, mob)
    assert mob.attackers == [ann, bob] and mob.target is ann
    for tick in range(200):
        rounds.combat_round(game, 1000.0 + tick)
        if not mob.alive:
            break
    assert not mob.alive and mob not in game.rooms[room_id].mobs
    assert ann.fighting is None and bob.fighting is None and not game.fights
    dead = f"{mob.name[:1].upper()}{mob.name[1:]} is dead!"
    assert dead in ann_hears and dead in bob_hears
    assert any(line.startswith("You hit") for line in ann_hears)
    assert any(line.startswith("You hit") for line in bob_hears)


def test_one_character_is_fought_by_several_monsters() -> None:
    room_id, monster_id = hostile_room()
    game, (ann,), (heard,) = setup(room_id, ["Ann"])
    first, second = add_mob(game, room_id, monster_id), add_mob(game, room_id, monster_id)
    fighting.engage(game, ann, first)
    fighting.engage(game, ann, second, switch=False)
    assert ann.fighting is first and second.target is ann
    rounds.combat_round(game, 1000.0)
    blows = [line for line in heard
             if any(k in line for k in ("hits you", "misses you", "on you for"))]
    assert len(blows) == 2  # each monster struck at her once this round
    first.health = 1  # her next blow that lands kills the first; she turns on the second
    for tick in range(1, 50):
        rounds.combat_round(game, 1000.0 + tick)
        if not first.alive:
            break
    assert not first.alive and ann.fighting is second
    assert second.target is ann and second.attackers == [ann]


def test_a_character_who_dies_wakes_in_the_recovery_room_weak() -> None:
    room_id, monster_id = hostile_room()
    game, (ann,), (heard,) = setup(room_id, ["Ann"])
    mob = add_mob(game, room_id, monster_id)
    fighting.engage(game, ann, mob)
    ann.health = 1
    for tick in range(100):
        rounds.combat_round(game, 2000.0 + tick)
        if ann.room_id != room_id:
            break
    assert ann.room_id == WORLD.recovery_room(room_id)
    assert ann.health == ann.max_health // 4
    assert ann.weak_until > 2000.0 and ann.fighting is None
    assert not mob.attackers and mob not in game.fights
    assert any("strikes you down" in line for line in heard)


def test_aggressive_monsters_attack_and_the_dead_respawn() -> None:
    aggressive = next((room.id, s.id) for room in WORLD.rooms.values() for s in room.monsters
                      if WORLD.monsters[s.id].aggressive)
    game, (ann,), (heard,) = setup(aggressive[0], ["Ann"])
    fighting.aggression(game)
    attacker = next(m for m in game.rooms[aggressive[0]].mobs if m.template.aggressive)
    assert ann in attacker.attackers and ann.fighting is not None
    assert any("attacks you!" in line for line in heard)
    slot = attacker.slot
    assert slot is not None
    fighting.hurt(game, attacker, attacker.health, ann, now=500.0)
    assert slot.mob is None
    fighting.respawn(game, now=500.0 + attacker.template.respawn - 1)
    assert slot.mob is None
    fighting.respawn(game, now=500.0 + attacker.template.respawn)
    assert slot.mob is not None and slot.mob.health == attacker.template.health


def test_a_zone_reset_returns_missing_floor_items_once() -> None:
    game = Game(WORLD)
    room = game.rooms["village_square"]
    sword = next(f for f in room.items if f.item_id == "rusty_sword")
    room.items.remove(sword)  # someone picked it up
    clock = Clock(game, now=0.0)
    clock.tick(WORLD.zones["greywater"].reset + 1)
    assert sum(1 for f in room.items if f.item_id == "rusty_sword") == 1
    clock.tick(2 * WORLD.zones["greywater"].reset + 2)
    assert sum(1 for f in room.items if f.item_id == "rusty_sword") == 1
