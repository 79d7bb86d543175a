"""Abilities as pure rules: readiness, cost, effect size, progress, ability and character
rank-ups, awakening and active buffs. Time is passed in (wall-clock seconds), so cooldowns and
buffs kept in an ability's metadata mean the same after a restart."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mud.game import rules
from mud.game.model import Ability, Character
from mud.text import whole_seconds
from mud.world.essences import AbilityTemplate, Essences

# uses needed to raise an ability from a rank to the next
PROGRESS_TO_NEXT: dict[str, int] = {"normal": 20, "iron": 40, "bronze": 80, "silver": 160,
                                    "gold": 320}


def template_of(ch: Character, ability: Ability, catalogue: Essences) -> AbilityTemplate | None:
    essence = next((e for e in ch.essences if e.id == ability.essence_id), None)
    return None if essence is None else catalogue.ability(essence.essence_type,
                                                          ability.ability_name)


def progress(ability: Ability) -> int:
    return int((ability.metadata or {}).get("progress", 0))


def cooldown_left(ability: Ability, now: float) -> float:
    return max(0.0, float((ability.metadata or {}).get("ready_at", 0)) - now)


def progress_needed(ability: Ability) -> int | None:
    """Uses still to go before the next rank; None at diamond."""
    needed = PROGRESS_TO_NEXT.get(ability.current_rank)
    return None if needed is None else max(0, needed - progress(ability))


def rank_cap(ch: Character) -> int:
    """The highest rank index an ability may reach: the character's rank plus one."""
    return min(len(rules.RANKS) - 1, rules.rank_index(ch.rank) + 1)


def amount(template: AbilityTemplate, ability_rank: str, attribute_value: int) -> int:
    """Size of an effect: the template's amount grows with the ability's rank; damage and
    healing also grow with the essence's favoured attribute."""
    base = template.amount * (1 + rules.rank_index(ability_rank))
    return base if template.effect == "buff" else base + attribute_value // 5


def size_for(ch: Character, ability: Ability, template: AbilityTemplate, catalogue: Essences,
             now: float) -> int:
    """The size of ability's effect used by ch now: by its rank and, for damage and heals, the
    favoured attribute of its essence with the buffs running on it."""
    essence = next(e for e in ch.essences if e.id == ability.essence_id)
    favoured = catalogue.by_id[essence.essence_type].favours
    return amount(template, ability.current_rank, effective(ch, favoured, catalogue, now))


def active_buffs(ch: Character, catalogue: Essences, now: float) -> dict[str, int]:
    """Attribute points from buffs still running."""
    gains = dict.fromkeys(rules.ATTRIBUTES, 0)
    for ability in ch.abilities:
        if float((ability.metadata or {}).get("active_until", 0)) <= now:
            continue
        template = template_of(ch, ability, catalogue)
        if template is not None and template.effect == "buff":
            gains[template.attribute] += amount(template, ability.current_rank, 0)
    return gains


def effective(ch: Character, attribute: str, catalogue: Essences, now: float) -> int:
    """An attribute with the buffs running on it."""
    base = getattr(ch, attribute)
    if not any(e.essence_type in catalogue.buffing[attribute] for e in ch.essences):
        return base
    return base + active_buffs(ch, catalogue, now)[attribute]


def refusal(ch: Character, ability: Ability, template: AbilityTemplate, now: float) -> str | None:
    """Why ability cannot be used now, in plain words; None when it can."""
    if not ability.awakened:
        return (f"{ability.ability_name} has not awakened yet "
                f"(it awakens at {template.awakens} rank).")
    left = cooldown_left(ability, now)
    if left > 0:
        return f"{ability.ability_name} is not ready yet ({whole_seconds(left)}s)."
    have = getattr(ch, template.resource)
    if have < template.cost:
        return (f"You don't have enough {template.resource} for {ability.ability_name} "
                f"(it needs {template.cost}, you have {have}).")
    return None


def spend(ch: Character, ability: Ability, template: AbilityTemplate, now: float) -> None:
    """Pay the cost and start the cooldown (and the buff, for a buff)."""
    ch.change_pool(template.resource, -template.cost)
    meta = dict(ability.metadata or {})
    meta["ready_at"] = round(now + template.cooldown, 3)
    if template.effect == "buff":
        meta["active_until"] = round(now + template.duration, 3)
    ability.metadata = meta


@dataclass(frozen=True)
class Outcome:
    """What one use of an ability did, as far as learning from it goes."""

    hit_monster: bool = False  # damage: it struck a monster
    restored: int = 0          # heal: what it gave back
    in_fight: bool = False     # buff: the user had foes
    moved: bool = False        # recall: it took the user somewhere else
    found: int = 0             # sense: the people it found


def teaches(template: AbilityTemplate, outcome: Outcome) -> bool:
    """Whether a use earns progress: only one that did something. Damage must hit a monster, a
    heal restore something, a buff come in a fight, a recall move its user and a sense find
    someone; a heal on a full pool or a buff in an empty room teaches nothing."""
    if template.effect == "damage":
        return outcome.hit_monster
    if template.effect == "heal":
        return outcome.restored > 0
    if template.effect == "buff":
        return outcome.in_fight
    if template.utility == "recall":
        return outcome.moved
    return outcome.found > 0


@dataclass
class Advancement:
    """What one use led to: the ability's new rank, the character's new rank, awakenings."""

    ability_rank: str | None = None
    character_rank: str | None = None
    awakened: list[Ability] = field(default_factory=list)


def earn_progress(ch: Character, ability: Ability, catalogue: Essences,
                  points: int = 1) -> Advancement:
    """Add progress; raise the ability a rank when it has enough (never above the character's
    rank plus one), and the character when every awakened ability has reached the next rank."""
    result = Advancement()
    needed = PROGRESS_TO_NEXT.get(ability.current_rank)
    if needed is None:
        return result
    earned = min(needed, progress(ability) + points)  # waits at the cap, full
    rises = earned >= needed and rules.rank_index(ability.current_rank) < rank_cap(ch)
    ability.metadata = {**(ability.metadata or {}), "progress": 0 if rises else earned}
    if rises:
        ability.current_rank = rules.RANKS[rules.rank_index(ability.current_rank) + 1]
        result.ability_rank = ability.current_rank
        rank_up = character_rank_up(ch)
        if rank_up is not None:
            result.character_rank = rank_up
            result.awakened = awaken(ch, catalogue)
    return result


def character_rank_up(ch: Character) -> str | None:
    """Raise ch a rank if every awakened ability has reached the next one."""
    target = rules.next_rank(ch.rank)
    awake = [a for a in ch.abilities if a.awakened]
    if target is None or not awake:
        return None
    if any(rules.rank_index(a.current_rank) < rules.rank_index(target) for a in awake):
        return None
    ch.rank = target
    return target


def awaken(ch: Character, catalogue: Essences) -> list[Ability]:
    """Awaken every ability whose awakening rank the character has reached."""
    reached = rules.rank_index(ch.rank)
    woken = []
    for ability in ch.abilities:
        template = template_of(ch, ability, catalogue)
        if (not ability.awakened and template is not None
                and rules.rank_index(template.awakens) <= reached):
            ability.awakened = True
            woken.append(ability)
    return woken


def regenerate_all(characters: Iterable[Character], catalogue: Essences, now: float) -> int:
    """One game tick of regeneration for characters; returns how many changed."""
    changed = 0
    for ch in characters:
        if ch.fighting is not None:
            continue  # no regeneration in the middle of a fight
        if ch.health < ch.max_health or ch.mana < ch.max_mana or ch.stamina < ch.max_stamina:
            changed += regenerate(ch, effective(ch, "recovery", catalogue, now))
    return changed


def regenerate(ch: Character, recovery: int) -> bool:
    """One regeneration tick; True when any pool changed."""
    return ch.regenerate(rules.regeneration(recovery, ch.resting, ch.in_bed))
