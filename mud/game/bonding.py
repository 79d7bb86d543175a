"""Bonding an essence, as pure rules: plan_bond checks everything and says exactly what will
change; apply_bond makes those changes to a character. No I/O here: the caller commits the
plan to the database before the live character sees it (mud.store.bonds)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from mud.game import rules
from mud.game.errors import GameError
from mud.game.ids import new_id
from mud.game.model import Ability, Character, Essence
from mud.world.essences import Essences, EssenceTemplate


@dataclass(frozen=True)
class Gain:
    """What one new essence adds: points to attribute, which then stands at value."""

    attribute: str
    points: int
    value: int


@dataclass(frozen=True)
class BondPlan:
    item_row_id: uuid.UUID
    essences: tuple[Essence, ...]  # the bonded essence, then the confluence if it comes too
    abilities: tuple[Ability, ...]
    gains: tuple[Gain, ...]  # one per new essence, in the same order

    @property
    def confluence(self) -> Essence | None:
        return self.essences[1] if len(self.essences) > 1 else None


def essence_bonuses(ch: Character, catalogue: Essences) -> dict[str, int]:
    """Points each attribute owes to bonded essences (already included in the attribute)."""
    bonuses = dict.fromkeys(rules.ATTRIBUTES, 0)
    for essence in ch.essences:
        template = catalogue.by_id.get(essence.essence_type)
        favoured = template is not None and template.favours == essence.attribute_bound
        bonuses[essence.attribute_bound] += rules.bond_bonus(essence.rank_bonded, favoured)
    return bonuses


def _new_essence(ch: Character, template: EssenceTemplate, attribute: str,
                 earlier: list[Gain]) -> tuple[Essence, list[Ability], Gain]:
    """The essence bonded to attribute, its abilities, and its gain on top of earlier ones."""
    essence = Essence(new_id(), template.id, attribute, ch.rank)
    reached = rules.rank_index(ch.rank)
    abilities = [Ability(new_id(), essence.id, a.name, "normal",
                         rules.rank_index(a.awakens) <= reached, {})
                 for a in template.abilities]
    points = rules.bond_bonus(ch.rank, template.favours == attribute)
    value = getattr(ch, attribute) + sum(g.points for g in earlier if g.attribute == attribute)
    return essence, abilities, Gain(attribute, points, value + points)


def plan_bond(ch: Character, catalogue: Essences, item_row_id: uuid.UUID, essence_id: str,
              attribute: str) -> BondPlan:
    """Everything bonding essence_id to attribute would change, or GameError saying why not."""
    if attribute not in rules.ATTRIBUTES:
        raise GameError("INVALID_ATTRIBUTE", f"'{attribute}' is not an attribute; choose "
                                             f"{', '.join(rules.ATTRIBUTES)}.")
    if len(ch.essences) >= rules.MAX_ESSENCES:
        raise GameError("MAX_ESSENCES_REACHED", "You already carry four bonded essences, "
                                                "the most anyone can hold.")
    template = catalogue.by_id.get(essence_id)
    if template is None:
        raise GameError("UNKNOWN_ESSENCE", "That essence is unknown to this world.")
    if template.confluence:
        raise GameError("CONFLUENCE_NOT_BONDABLE", f"The {template.id} essence only forms as a "
                                                   "confluence of three others.")
    if any(e.essence_type == essence_id for e in ch.essences):
        raise GameError("ESSENCE_ALREADY_BONDED",
                        f"You have already bonded the {template.id} essence.")
    essence, abilities, gain = _new_essence(ch, template, attribute, [])
    essences, gains = [essence], [gain]
    if len(ch.essences) == rules.MAX_ESSENCES - 2:  # this is the third: the confluence forms
        three = [e.essence_type for e in ch.essences] + [essence_id]
        confluence = catalogue.by_id[catalogue.confluence_for(three)]
        c_essence, c_abilities, c_gain = _new_essence(ch, confluence, confluence.favours,
                                                      gains)
        essences.append(c_essence)
        abilities += c_abilities
        gains.append(c_gain)
    return BondPlan(item_row_id, tuple(essences), tuple(abilities), tuple(gains))


def apply_bond(ch: Character, plan: BondPlan) -> None:
    """Make the planned changes to ch: the item goes, essences, abilities and bonuses arrive."""
    row = next((r for r in ch.inventory if r.id == plan.item_row_id), None)
    if row is None:
        raise GameError("ITEM_NOT_FOUND", "The essence is no longer in your inventory.")
    ch.remove_item(row, 1)
    ch.essences.extend(plan.essences)
    ch.abilities.extend(Ability(a.id, a.essence_id, a.ability_name, a.current_rank,
                                a.awakened, dict(a.metadata or {})) for a in plan.abilities)
    for gain in plan.gains:
        setattr(ch, gain.attribute, getattr(ch, gain.attribute) + gain.points)
