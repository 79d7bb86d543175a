"""Quest templates from quests.toml: a giver, objectives, and rewards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mud.vocabulary import RANKS
from mud.world.fields import Problem, choice, flag, number, table_list, text, unknown_keys

OBJECTIVE_KINDS = ("kill", "collect", "visit", "deliver")


@dataclass(frozen=True)
class Objective:
    kind: str  # kill (a monster id), collect (an item id), visit (a room id), deliver (an item)
    target: str
    count: int = 1
    to: str = ""  # deliver: the monster id (a peaceful one) to give it to

    @property
    def key(self) -> str:
        """Where its progress is kept in character_quests.progress."""
        return f"{self.kind}:{self.target}"


@dataclass(frozen=True)
class QuestTemplate:
    id: str
    name: str
    giver: str  # a peaceful monster id
    description: str
    completion: str  # what the giver says at the end
    rank: str  # the least rank that may take it
    requires: tuple[str, ...]  # quests finished first
    repeatable: bool
    objectives: tuple[Objective, ...]
    start_items: tuple[tuple[str, int], ...]  # handed over on accepting (a letter to deliver)
    reward_items: tuple[tuple[str, int], ...]
    reward_progress: int  # progress for every awakened ability


def _items(problem: Problem, entry: str, data: dict[str, Any], key: str
           ) -> tuple[tuple[str, int], ...]:
    found = []
    for index, raw in enumerate(table_list(problem, entry, data, key), 1):
        where = f"{entry}, {key} #{index}"
        unknown_keys(problem, where, raw, {"item", "quantity"})
        found.append((str(raw.get("item")), number(problem, where, raw, "quantity", 1, 10_000,
                                                   1)))
    return tuple(found)


def _objective(problem: Problem, entry: str, raw: dict[str, Any]) -> Objective | None:
    kinds = [k for k in OBJECTIVE_KINDS if k in raw]
    if len(kinds) != 1:
        problem(entry, f"an objective names exactly one of {', '.join(OBJECTIVE_KINDS)}")
        return None
    kind = kinds[0]
    unknown_keys(problem, entry, raw, {kind, "count"} | ({"to"} if kind == "deliver" else set()))
    count = 1 if kind in ("visit", "deliver") else number(problem, entry, raw, "count", 1,
                                                         1000, 1)
    to = text(problem, entry, raw, "to") if kind == "deliver" else ""
    return Objective(kind, str(raw[kind]), count, to)


def parse_quest(problem: Problem, entry: str, data: dict[str, Any]) -> dict[str, Any]:
    """The checked fields of one [[quest]] (without id)."""
    unknown_keys(problem, entry, data, {"id", "name", "giver", "description", "completion",
                                        "rank", "requires", "repeatable", "objective",
                                        "start_items", "reward"})
    requires = data.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        problem(entry, "'requires' must be a list of quest ids")
        requires = []
    objectives = [o for i, raw in enumerate(table_list(problem, entry, data, "objective"), 1)
                  if (o := _objective(problem, f"{entry}, objective #{i}", raw))]
    if not objectives:
        problem(entry, "a quest needs at least one [[quest.objective]]")
    reward = data.get("reward", {})
    if not isinstance(reward, dict):
        problem(entry, "'reward' must be a table")
        reward = {}
    unknown_keys(problem, f"{entry}, reward", reward, {"items", "progress"})
    return {
        "name": text(problem, entry, data, "name"),
        "giver": str(data.get("giver")),
        "description": text(problem, entry, data, "description"),
        "completion": text(problem, entry, data, "completion"),
        "rank": choice(problem, entry, data, "rank", RANKS, "normal"),
        "requires": tuple(requires),
        "repeatable": flag(problem, entry, data, "repeatable"),
        "objectives": tuple(objectives),
        "start_items": _items(problem, entry, data, "start_items"),
        "reward_items": _items(problem, f"{entry}, reward", reward, "items"),
        "reward_progress": number(problem, f"{entry}, reward", reward, "progress", 0, 1000, 0),
    }
