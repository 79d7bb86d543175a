"""A new player's playthrough of the bundled world: how long to iron rank, and what it took.

    python bench/playthrough.py [--seeds 5] [--think 4] [--fight-think 1.5] [--limit 240]
                                [--world FOLDER] [--verbose]

The bot plays in memory through the real command dispatcher (the tests' harness: the game's
rules and commands, no telnet, database or Redis), on the game's clock: each command it types
takes `--think` seconds (`--fight-think` in a fight), and the world ticks (fights,
regeneration, respawns) as that time passes. It plays as the world's README tells a newcomer
to: it asks everyone it meets for work and takes it, follows each quest's objectives (walking
there by the map it has learnt, foraging, hunting what drops what it must collect,
delivering), turns quests in, picks up what it finds,
wears the best armour and wields the best weapon it has, bonds the essences it is given to the
attribute each favours, sizes monsters up with `consider` and fights only the fair or easy
ones, uses its damage abilities in a fight and its heals when hurt, rests when low, and, with
nothing else to do, hunts the strongest monster it may fight.

Perception reads the character's state (pools, pack, quests, cooldowns) as `score`, `quests`
and `abilities` would show it, without spending commands on them. Per seed it prints the game
time and commands to iron, deaths, kills by monster and quests done, how `consider` sizes up
the iron-rank monsters for it, and what came of fighting `--boss` alone, rested, straight
after; then the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mud.game import abilities as ability_rules
from mud.game import combat, equipment, quests
from mud.game.fighting import foes_of, size_up
from mud.game.mobs import Mob
from mud.game.model import Character
from mud.world.items import ItemTemplate
from mud.world.loader import OPPOSITE, World, load_world
from tests.harness import Harness

FAIR = ("would be no match for you", "looks like an easy fight", "looks like a fair fight")
REST_BELOW = 0.5  # rest when health falls below this share
HEAL_BELOW = 0.4  # use a heal in a fight below this share
WIMPY = 30  # health below which it flees on its own (the `wimpy` setting)


@dataclass
class Result:
    seed: int
    reached_iron: bool
    minutes: float
    commands: int
    deaths: int
    kills: Counter[str] = field(default_factory=Counter)
    quests: list[str] = field(default_factory=list)
    bosses: dict[str, str] = field(default_factory=dict)  # iron monster -> `consider` at the end
    trial: str = ""  # what came of fighting the boss alone straight after iron


class Playthrough:
    def __init__(self, seed: int, think: float, fight_think: float, limit_minutes: float,
                 verbose: bool, world: World | None = None, boss: str = "") -> None:
        self.harness = Harness(world, seed=seed)
        self.boss = boss
        self.game = self.harness.game
        self.world = self.game.world
        self.player = self.harness.player("Tester")
        self.think, self.fight_think = think, fight_think
        self.limit, self.verbose = limit_minutes * 60, verbose
        self.tick = self.harness.server.settings.tick_interval
        self.started = self.next_tick = self.harness.clock()
        self.commands = self.deaths = 0
        self.kills: Counter[str] = Counter()
        self.seed = seed
        self.on_trial = False  # fighting the boss after iron: reaching iron no longer ends it

    # -- acting and the passing of time -----------------------------------------------------

    @property
    def ch(self) -> Character:
        return self.player.ch

    @property
    def elapsed(self) -> float:
        return self.harness.clock() - self.started

    def over(self) -> bool:
        return (self.ch.rank != "normal" and not self.on_trial) or self.elapsed > self.limit

    async def do(self, line: str) -> str:
        """Type line; the time it takes passes (less in a fight, where players keep their
        abilities on keys)."""
        self.commands += 1
        told = await self.player.run(line)
        self.observe(told, f"> {line}\n")
        self.wait(self.fight_think if foes_of(self.game, self.ch) else self.think)
        return told

    def observe(self, told: str, heading: str = "") -> None:
        """Count the deaths and kills in what it was told (a kill may come from a command, an
        ability, or from the tick's blows)."""
        self.deaths += told.count("strikes you down")
        for line in told.splitlines():
            if line.endswith(" is dead!"):
                self.kills[line.rpartition("! ")[2].removesuffix(" is dead!")] += 1
        if self.verbose and (told or heading):
            print(f"[{self.elapsed / 60:6.1f}m] {heading}{told}")

    def wait(self, seconds: float) -> None:
        """Let seconds of game time pass, the world ticking on time."""
        end = self.harness.clock() + seconds
        while self.next_tick <= end:
            self.harness.clock.time = self.next_tick
            before = len(self.player.output)
            self.harness.tick()
            self.observe(self.player.heard(before))
            self.next_tick += self.tick
        self.harness.clock.time = end

    # -- the map ----------------------------------------------------------------------------

    def path(self, to: str) -> list[str] | None:
        """The exits to take from here to room `to` (breadth first over the world's map)."""
        start = self.ch.room_id or self.world.start_room
        came: dict[str, tuple[str, str] | None] = {start: None}
        queue = deque([start])
        while queue:
            room = queue.popleft()
            if room == to:
                steps = []
                while came[room] is not None:
                    room, way = came[room]  # type: ignore[misc]
                    steps.append(way)
                return steps[::-1]
            for way, target in self.world.rooms[room].exits.items():
                if target not in came:
                    came[target] = (room, way)
                    queue.append(target)
        return None

    async def go(self, to: str) -> bool:
        """Walk to room `to`, fighting whatever attacks on the way; False if it could not."""
        for way in self.path(to) or []:
            if self.over():
                return False
            await self.ready_to_move()
            await self.recover()
            told = await self.do(way)
            if "You can't go that way" in told:
                return False
        return self.ch.room_id == to

    async def ready_to_move(self) -> None:
        if foes_of(self.game, self.ch):
            await self.fight_on()
        if self.ch.resting:
            await self.do("stand")

    def distance(self, to: str) -> int:
        steps = self.path(to)
        return len(steps) if steps is not None else 10_000

    # -- looking after itself ---------------------------------------------------------------

    def worn_out(self) -> bool:
        ch = self.ch
        return (ch.health < ch.max_health * REST_BELOW or ch.stamina < ch.max_stamina * REST_BELOW
                or ch.mana < ch.max_mana * REST_BELOW)

    async def recover(self, fully: bool = False) -> None:
        """Rest until whole when health, mana or stamina is low (fully: when any is short of
        whole) and no one fights it."""
        ch = self.ch
        short = ch.health < ch.max_health or ch.stamina < ch.max_stamina or ch.mana < ch.max_mana
        if not (self.worn_out() or (fully and short)) or foes_of(self.game, ch):
            return
        await self.do("rest")
        while ch.resting and (ch.health < ch.max_health or ch.stamina < ch.max_stamina
                              or ch.mana < ch.max_mana) and not self.over():
            self.wait(self.tick)
            if foes_of(self.game, ch):
                await self.fight_on()
                return
        if ch.resting:
            await self.do("stand")

    async def tidy(self) -> None:
        """Bond essence items, wear better armour, wield a better weapon."""
        items = self.world.items
        for row in list(self.ch.carried):
            template = items[row.item_id]
            if template.kind == "essence" and len(self.ch.essences) < 3 and not any(
                    e.essence_type == template.essence for e in self.ch.essences):
                essence = self.world.essences.by_id[template.essence]
                self.commands += 2  # `bond <essence> to <attribute>` and `yes`
                self.player.bond(essence.id, essence.favours)
                self.wait(self.think * 2)
            elif template.kind in ("weapon", "armour") and self.better(template):
                await self.do(f"{'wield' if template.kind == 'weapon' else 'wear'} "
                              f"{template.keywords[-1]}")

    def needed(self) -> set[str]:
        """Items its active quests still ask for (to collect or deliver)."""
        return {o.target for row in quests.active(self.ch)
                for o in self.world.quests[row.quest_id].objectives
                if o.kind in ("collect", "deliver")}

    def spare(self) -> list[str]:
        """Item ids in the pack it has no use for: not coins, not asked for, not an essence it
        may still bond, not a heal."""
        items, needed, ch = self.world.items, self.needed(), self.ch
        bonded = {e.essence_type for e in ch.essences}
        spare = []
        for row in ch.carried:
            template = items[row.item_id]
            if template.kind in ("currency", "consumable") or row.item_id in needed:
                continue
            if template.kind == "essence" and template.essence not in bonded \
                    and len(ch.essences) < 3:
                continue
            spare.append(row.item_id)
        return list(dict.fromkeys(spare))

    async def lighten(self) -> None:
        """With the pack nearly full: sell what shops buy, throw away the rest of the spare."""
        ch = self.ch
        if len(ch.carried) < ch.inventory_capacity - 2:
            return
        for shop in self.world.shops.values():
            selling = [i for i in self.spare() if self.world.items[i].kind in shop.buys
                       and self.world.items[i].value > 0]
            room = next((r.id for r in self.world.rooms.values()
                         if any(s.id == shop.keeper for s in r.monsters)), None)
            if selling and room and self.distance(room) < 15 and await self.go(room):
                for item_id in selling:
                    await self.do(f"sell all.{self.world.items[item_id].keywords[-1]}")
        for item_id in self.spare():
            await self.do(f"junk all.{self.world.items[item_id].keywords[-1]}")

    def better(self, template: ItemTemplate) -> bool:
        worn = equipment.worn(self.ch).get(template.slot)
        if worn is None:
            return True
        current = self.world.items[worn.item_id]
        return (template.damage, template.armour) > (current.damage, current.armour)

    # -- fighting ---------------------------------------------------------------------------

    async def sized_up(self, mob: Mob) -> bool:
        told = await self.do(f"consider {mob.keywords[0]}")
        return any(words in told for words in FAIR)

    async def fight(self, mob: Mob) -> None:
        await self.ready_to_move()
        await self.do(f"kill {mob.keywords[0]}")
        await self.fight_on()
        await self.do("get all")

    async def fight_on(self) -> None:
        """Fight until no monster fights it: abilities when they are ready, else blows."""
        ch = self.ch
        while foes_of(self.game, ch) and not self.over():
            ability = self.ability_to_use()
            if ability is not None:
                await self.do(f"use {ability}")
            else:
                self.wait(self.tick)

    def ability_to_use(self) -> str | None:
        """A heal when hurt, else the hardest-hitting damage ability ready, else a buff."""
        ch, catalogue, now = self.ch, self.world.essences, self.game.now()
        wanted = {"heal": 0 if ch.health < ch.max_health * HEAL_BELOW else None,
                  "damage": 1, "buff": 2}
        ready = []
        for ability in ch.abilities:
            template = ability_rules.template_of(ch, ability, catalogue)
            if template is None or ability_rules.refusal(ch, ability, template, now) \
                    or wanted.get(template.effect) is None:
                continue
            size = ability_rules.size_for(ch, ability, template, catalogue, now)
            ready.append((wanted[template.effect], -size, ability.ability_name.lower()))
        return min(ready)[2] if ready else None

    # -- quests -----------------------------------------------------------------------------

    def givers(self) -> dict[str, str]:
        """Monster id -> the room it stands in, for the peaceful who give quests."""
        return {spawn.id: room.id for room in self.world.rooms.values()
                for spawn in room.monsters if any(q.giver == spawn.id
                                                   for q in self.world.quests.values())}

    async def take_and_turn_in(self) -> bool:
        """Visit the nearest giver with work to offer or a quest to take back; True if it did."""
        ch = self.ch
        wanted = []
        for giver, room in self.givers().items():
            offers = quests.offered(ch, self.world.quests, giver)
            finished = [r for r in quests.active(ch) if self.world.quests[r.quest_id].giver
                        == giver and quests.is_complete(ch, r, self.world.quests[r.quest_id])]
            if offers or finished:
                wanted.append((self.distance(room), room))
        if not wanted:
            return False
        _, room = min(wanted)
        if not await self.go(room):
            return False
        await self.do("quest complete")
        listed = await self.do("quest list")
        for _ in range(listed.count(". ")):
            told = await self.do("quest accept 1")
            if "You accept" not in told and "accept" not in told.lower():
                break
        return True

    async def pursue(self) -> bool:
        """Work toward the nearest unfinished objective; True if there was one."""
        ch = self.ch
        for row in quests.active(ch):
            quest = self.world.quests[row.quest_id]
            for objective in quest.objectives:
                if quests.done(ch, row, objective) >= objective.count:
                    continue
                if await self.objective(objective):
                    return True
        return False

    async def objective(self, objective: quests.Objective) -> bool:
        kind, target = objective.kind, objective.target
        if kind == "visit":
            return await self.go(target)
        if kind == "deliver":
            room = next((r for r in self.world.rooms.values()
                         if any(s.id == objective.to for s in r.monsters)), None)
            if room is None or not await self.go(room.id):
                return False
            npc = self.world.monsters[objective.to].keywords[0]
            await self.do(f"give {self.world.items[target].keywords[-1]} {npc}")
            return True
        if kind == "kill":
            return await self.hunt({target})
        if kind == "collect":
            return await self.collect(target)
        return False

    async def collect(self, item_id: str) -> bool:
        floors = [r.id for r in self.world.rooms.values()
                  if any(f.item_id == item_id for f in self.game.rooms[r.id].items)]
        if floors and len(self.ch.carried) < self.ch.inventory_capacity:
            room = min(floors, key=self.distance)
            if await self.go(room):
                await self.do(f"get {self.world.items[item_id].keywords[-1]}")
                return True
        forage = [r.id for r in self.world.rooms.values() if item_id in r.forage]
        if forage and await self.go(min(forage, key=self.distance)):
            await self.do("forage")
            return True
        droppers = {m.id for m in self.world.monsters.values()
                    if any(entry.item_id == item_id for entry in m.loot)}
        return await self.hunt(droppers)

    async def hunt(self, monster_ids: set[str]) -> bool:
        """Go to the nearest room where one of monster_ids stands, and fight it if fair."""
        here = [(self.distance(mob.room_id), mob) for room in self.game.rooms.values()
                for mob in room.mobs if mob.template.id in monster_ids and mob.alive]
        if not here:
            self.wait(self.tick * 5)  # waiting for a respawn
            return True
        _, mob = min(here, key=lambda pair: pair[0])
        if not await self.go(mob.room_id) or mob not in self.game.rooms[mob.room_id].mobs:
            return True
        if await self.sized_up(mob):
            await self.fight(mob)
        else:
            await self.grind()
        return True

    async def grind(self) -> None:
        """Fight the strongest monster nearby that `consider` calls fair or easier."""
        ch = self.ch
        candidates = sorted(
            ((-mob.template.health, self.distance(mob.room_id), mob)
             for room in self.game.rooms.values() for mob in room.mobs
             if not mob.template.peaceful and mob.alive and self.distance(mob.room_id) < 12),
            key=lambda entry: (entry[0], entry[1]))
        for _, _, mob in candidates[:6]:
            if self.over() or not await self.go(mob.room_id):
                continue
            if mob in self.game.rooms[mob.room_id].mobs and await self.sized_up(mob):
                await self.fight(mob)
                return
        self.wait(self.tick * 5)
        if ch.rank == "normal":
            await self.recover()

    # -- the whole playthrough --------------------------------------------------------------

    async def play(self) -> Result:
        await self.do("look")
        await self.do(f"wimpy {WIMPY}")
        while not self.over():
            await self.recover()
            await self.tidy()
            await self.lighten()
            if await self.take_and_turn_in():
                continue
            if await self.pursue():
                continue
            await self.grind()
        result = Result(self.seed, self.ch.rank != "normal", self.elapsed / 60, self.commands,
                        self.deaths, self.kills, sorted(self.ch.completed_quests),
                        self.bosses())
        if result.reached_iron and self.boss:
            result.trial = await self.trial(self.boss)
        return result

    async def trial(self, boss: str) -> str:
        """Straight after iron: walk to boss (through what guards it), rest at its door and
        fight it alone, as a player who has just risen would. What came of it."""
        self.limit, self.on_trial = self.elapsed + 30 * 60, True
        self.ch.wimpy = 0  # to the end: the question is whether it can win
        room = next(r.id for r in self.world.rooms.values()
                    if any(s.id == boss for s in r.monsters))
        deaths, started = self.deaths, self.elapsed
        steps = self.path(room) or []
        await self.go(self.world.rooms[room].exits[OPPOSITE[steps[-1]]] if steps else room)
        await self.recover(fully=True)  # at the door, whole again
        await self.go(room)
        mob = next((m for m in self.game.rooms[room].mobs if m.template.id == boss), None)
        if mob is None:
            return f"{boss} was not there"
        if not foes_of(self.game, self.ch):
            await self.do(f"kill {mob.keywords[0]}")
        await self.fight_on()
        seconds = self.elapsed - started
        if self.deaths > deaths:
            return f"{boss} killed it ({mob.health}/{mob.template.health} health left)"
        if not mob.alive:
            return (f"it killed {boss} alone in {seconds:.0f} s, with "
                    f"{self.ch.health}/{self.ch.max_health} health left")
        return f"undecided after {seconds:.0f} s"

    def bosses(self) -> dict[str, str]:
        """How `consider` sizes up each iron-rank monster for the character as it ended, rested:
        can it take them on alone, with the gear it found?"""
        rested = self.ch.detached_copy()  # as it would be after a rest: pools full
        rested.health, rested.mana, rested.stamina = (rested.max_health, rested.max_mana,
                                                      rested.max_stamina)
        found = {}
        for room in self.game.rooms.values():
            for mob in room.mobs:
                template = mob.template
                if template.rank != "normal" and not template.peaceful \
                        and template.id not in found:
                    estimate = size_up(self.game, rested, mob, self.game.now(), self.tick)
                    found[template.id] = combat.assessment(estimate.theirs, estimate.yours)
        return found


async def run(seed: int, think: float = 4.0, fight_think: float = 1.5, limit: float = 240.0,
              verbose: bool = False, world: World | None = None, boss: str = "") -> Result:
    return await Playthrough(seed, think, fight_think, limit, verbose, world, boss).play()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--think", type=float, default=4.0,
                        help="seconds of game time each command takes to type")
    parser.add_argument("--fight-think", type=float, default=1.5,
                        help="seconds each command takes in a fight")
    parser.add_argument("--limit", type=float, default=240.0, help="minutes before giving up")
    parser.add_argument("--verbose", action="store_true", help="print everything played")
    parser.add_argument("--world", type=Path, help="another world folder (default: the bundled)")
    parser.add_argument("--boss", default="hollow_thane",
                        help="the monster it fights alone once iron ('' for none)")
    args = parser.parse_args()
    world = load_world(args.world) if args.world else None
    results = []
    for seed in range(1, args.seeds + 1):
        result = asyncio.run(run(seed, args.think, args.fight_think, args.limit, args.verbose,
                                 world, args.boss))
        results.append(result)
        kills = ", ".join(f"{name} x{n}" for name, n in result.kills.most_common())
        print(f"seed {seed}: {'iron' if result.reached_iron else 'NOT iron'} after "
              f"{result.minutes:.1f} min, {result.commands} commands, {result.deaths} deaths, "
              f"{len(result.quests)} quests; killed {kills}", flush=True)
        print("  consider at iron: " + "; ".join(f"{boss} {words}"
                                                 for boss, words in result.bosses.items()))
        if result.trial:
            print(f"  alone against {args.boss}: {result.trial}")
    reached = [r for r in results if r.reached_iron]
    if reached:
        print(f"median to iron: {statistics.median(r.minutes for r in reached):.1f} min, "
              f"{statistics.median(r.commands for r in reached):.0f} commands, "
              f"{statistics.median(r.deaths for r in reached):.0f} deaths "
              f"({len(reached)}/{len(results)} seeds reached iron)")
    else:
        print(f"no seed reached iron within {args.limit:.0f} minutes")


if __name__ == "__main__":
    main()
