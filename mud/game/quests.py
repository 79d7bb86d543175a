"""Quests as pure rules over a character's quest rows: what a giver offers, progress on kills,
visits and deliveries, collect progress (what the pack holds), what is still missing, and
turning in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from mud.game import rules
from mud.game.ids import new_id
from mud.game.model import Character, QuestProgress
from mud.world.items import ItemTemplate
from mud.world.quests import Objective, QuestTemplate


def active(ch: Character) -> list[QuestProgress]:
    return [q for q in ch.quests if q.status == "active"]


def active_row(ch: Character, quest_id: str) -> QuestProgress | None:
    return next((q for q in active(ch) if q.quest_id == quest_id), None)


def offered(ch: Character, quests: Mapping[str, QuestTemplate], giver: str
            ) -> list[QuestTemplate]:
    """What giver offers ch now: not active, not finished unless repeatable, prerequisites
    done, rank reached."""
    return [q for q in quests.values() if q.giver == giver
            and active_row(ch, q.id) is None
            and (q.repeatable or q.id not in ch.completed_quests)
            and all(r in ch.completed_quests for r in q.requires)
            and rules.rank_index(ch.rank) >= rules.rank_index(q.rank)]


def accept(ch: Character, quest: QuestTemplate) -> QuestProgress:
    row = QuestProgress(new_id(), quest.id, "active", {},
                        started_at=datetime.now(UTC).replace(tzinfo=None))
    ch.quests.append(row)
    return row


def abandon(ch: Character, row: QuestProgress) -> None:
    row.status = "abandoned"


def carried_count(ch: Character, item_id: str) -> int:
    return sum(r.quantity for r in ch.carried if r.item_id == item_id)


def done(ch: Character, row: QuestProgress, objective: Objective) -> int:
    """How far an objective is: collect counts what ch carries now, the rest is recorded."""
    if objective.kind == "collect":
        return min(objective.count, carried_count(ch, objective.target))
    return min(objective.count, int(row.progress.get(objective.key, 0)))


def collect_counts(ch: Character, quests: Mapping[str, QuestTemplate]
                   ) -> dict[tuple[str, str], int]:
    """How far each active collect objective is, by (quest id, objective key). Collect
    progress is what the pack holds, so it moves whenever items come or go: compare a count
    taken before with collect_moved after."""
    counts: dict[tuple[str, str], int] = {}
    for row in active(ch):
        quest = quests.get(row.quest_id)
        for objective in quest.objectives if quest else ():
            if objective.kind == "collect":
                counts[(quest.id, objective.key)] = done(ch, row, objective)
    return counts


def collect_moved(ch: Character, quests: Mapping[str, QuestTemplate],
                  before: Mapping[tuple[str, str], int]
                  ) -> list[tuple[QuestTemplate, Objective, int]]:
    """(quest, objective, count now) for each collect objective whose count differs from
    before (a collect_counts taken earlier)."""
    moved: list[tuple[QuestTemplate, Objective, int]] = []
    for (quest_id, key), count in collect_counts(ch, quests).items():
        if before.get((quest_id, key), count) != count:
            quest = quests[quest_id]
            moved.append((quest, next(o for o in quest.objectives if o.key == key), count))
    return moved


def is_complete(ch: Character, row: QuestProgress, quest: QuestTemplate) -> bool:
    return all(done(ch, row, o) >= o.count for o in quest.objectives)


def record(ch: Character, quests: Mapping[str, QuestTemplate], kind: str, target: str,
           to: str = "") -> list[tuple[QuestTemplate, Objective, int]]:
    """Count a kill, a visit or a delivery toward every active quest that wants it; returns
    (quest, objective, new count) for each that moved."""
    moved = []
    for row in active(ch):
        quest = quests.get(row.quest_id)
        if quest is None:
            continue
        for objective in quest.objectives:
            if (objective.kind == kind and objective.target == target
                    and objective.to == to and done(ch, row, objective) < objective.count):
                row.progress = {**row.progress,
                                objective.key: int(row.progress.get(objective.key, 0)) + 1}
                moved.append((quest, objective, done(ch, row, objective)))
    return moved


def wants_delivery(ch: Character, quests: Mapping[str, QuestTemplate], item_id: str,
                   to: str) -> bool:
    """Whether an active quest still waits for ch to give item_id to the monster to."""
    for row in active(ch):
        quest = quests.get(row.quest_id)
        for objective in quest.objectives if quest else ():
            if (objective.kind == "deliver" and objective.target == item_id
                    and objective.to == to and done(ch, row, objective) < 1):
                return True
    return False


def turn_in(ch: Character, row: QuestProgress, quest: QuestTemplate,
            items: Mapping[str, ItemTemplate]) -> bool:
    """Finish a complete quest: collected items go to the giver and the reward items come,
    all at once. False (and nothing changed) when the rewards would not fit in the pack."""
    removals = []
    for objective in [o for o in quest.objectives if o.kind == "collect"]:
        count = objective.count  # as many as asked, from the pack's stacks
        for stack in [r for r in ch.carried if r.item_id == objective.target]:
            take = min(count, stack.quantity)
            if take:
                removals.append((stack, take))
                count -= take
    rewards = [(item_id, quantity, items[item_id].stackable)
               for item_id, quantity in quest.reward_items]
    if not ch.fits(rewards, freed=sum(take >= row.quantity for row, take in removals)):
        return False
    for stack, take in removals:
        ch.remove_item(stack, take)
    ch.add_items(rewards)
    row.status = "completed"
    row.completed_at = datetime.now(UTC).replace(tzinfo=None)
    ch.completed_quests.add(quest.id)
    return True
