"""Skills that are not essences: they rise with use and matter in fighting and gathering.
Pure rules: what each skill is, how experience raises it, and what a level is worth."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mud.game.ids import new_id
from mud.game.model import Character, Skill


@dataclass(frozen=True)
class SkillInfo:
    id: str
    name: str
    description: str


SKILLS: dict[str, SkillInfo] = {s.id: s for s in (
    SkillInfo("swordsmanship", "Swordsmanship", "Hitting, and hitting hard, with a sword."),
    SkillInfo("knifework", "Knifework", "Quick, precise work with knives and daggers."),
    SkillInfo("bludgeons", "Bludgeons", "Clubs, staves and hammers: weight well swung."),
    SkillInfo("brawling", "Brawling", "Fighting with fists, knees and elbows."),
    SkillInfo("evasion", "Evasion", "Not being where the blow lands."),
    SkillInfo("herbalism", "Herbalism", "Finding and gathering useful plants ('forage')."),
)}
UNARMED_SKILL = "brawling"
MAX_LEVEL = 100
GAIN_CHANCE = 0.5  # a use teaches something half the time


def experience_needed(level: int) -> int:
    """Experience that raises a skill from level to level + 1."""
    return 5 * level


def level_of(ch: Character, skill_id: str) -> int:
    """A skill's level; 0 for a skill never used."""
    return next((s.level for s in ch.skills if s.skill_id == skill_id), 0)


def practise(ch: Character, skill_id: str, rng: random.Random, amount: int = 1) -> int | None:
    """Use a skill: the first use teaches level 1; later ones may gain experience. Returns
    the new level when it rises."""
    skill = next((s for s in ch.skills if s.skill_id == skill_id), None)
    if skill is None:
        ch.skills.append(Skill(new_id(), skill_id, level=1, experience=0))
        return 1
    if skill.level >= MAX_LEVEL or rng.random() >= GAIN_CHANCE:
        return None
    skill.experience += amount
    risen = None
    while skill.level < MAX_LEVEL and skill.experience >= experience_needed(skill.level):
        skill.experience -= experience_needed(skill.level)
        skill.level += 1
        risen = skill.level
    return risen


def risen_message(skill_id: str, level: int) -> str:
    name = SKILLS[skill_id].name.lower()
    return (f"You begin to learn {name}." if level == 1
            else f"Your {name} improves to {level}.")
