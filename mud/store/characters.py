"""Characters: hand-written SQL over the async pool."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from psycopg import errors
from psycopg_pool import AsyncConnectionPool

from mud.game.ids import new_id
from mud.game.model import Ability, Character, Essence, InventoryItem, QuestProgress, Skill


@dataclass(frozen=True)
class CharacterSummary:
    id: uuid.UUID
    name: str
    rank: str
    created: bool = False  # made just now: its player is new to it


class NameTaken(Exception):
    """Another character already has this name (compared without case)."""


# One round trip: the character row plus each owned collection aggregated as JSON. Of quests,
# only active ones are loaded whole; of completed ones, only their ids. Rows come in id order,
# which is creation order (mud.game.ids).
_LOAD_SQL = """
SELECT c.id, c.player_id, c.name, c.rank, c.power, c.speed, c.spirit, c.recovery,
       c.current_room_id, c.health, c.mana, c.stamina, c.inventory_expansion,
       extract(epoch FROM c.weak_until), c.frozen, c.prompt, c.colour,
       (SELECT coalesce(json_agg(json_build_object(
                 'id', e.id, 'type', e.essence_type, 'attr', e.attribute_bound,
                 'rank', e.rank_bonded) ORDER BY e.id), '[]')
          FROM character_essences e WHERE e.character_id = c.id),
       (SELECT coalesce(json_agg(json_build_object(
                 'id', a.id, 'essence', a.essence_id, 'name', a.ability_name,
                 'rank', a.current_rank, 'awakened', a.awakened, 'meta', a.metadata)
                 ORDER BY a.id), '[]')
          FROM character_abilities a WHERE a.character_id = c.id),
       (SELECT coalesce(json_agg(json_build_object(
                 'id', i.id, 'item', i.item_id, 'qty', i.quantity, 'slot', i.slot,
                 'meta', i.metadata) ORDER BY i.id), '[]')
          FROM character_inventory i WHERE i.character_id = c.id),
       (SELECT coalesce(json_agg(json_build_object(
                 'id', q.id, 'quest', q.quest_id, 'progress', q.progress)
                 ORDER BY q.id), '[]')
          FROM character_quests q WHERE q.character_id = c.id AND q.status = 'active'),
       (SELECT coalesce(json_agg(json_build_object(
                 'id', s.id, 'skill', s.skill_id, 'level', s.level, 'xp', s.experience)
                 ORDER BY s.skill_id), '[]')
          FROM character_skills s WHERE s.character_id = c.id),
       (SELECT coalesce(array_agg(DISTINCT q.quest_id), '{}')
          FROM character_quests q WHERE q.character_id = c.id AND q.status = 'completed')
  FROM characters c
 WHERE c.id = %s
"""


def _character_from_row(row: tuple) -> Character:
    (cid, player_id, name, rank, power, speed, spirit, recovery, room_id, health, mana,
     stamina, expansion, weak_until, frozen, prompt, colour, essences, abilities, inventory,
     quests, skills, completed) = row
    return Character(
        id=cid, player_id=player_id, name=name, rank=rank, power=power, speed=speed,
        spirit=spirit, recovery=recovery, room_id=room_id, health=health, mana=mana,
        stamina=stamina, inventory_expansion=expansion,
        weak_until=float(weak_until or 0), frozen=frozen, prompt=prompt, colour=colour,
        completed_quests=set(completed),
        essences=[Essence(uuid.UUID(e["id"]), e["type"], e["attr"], e["rank"])
                  for e in essences],
        abilities=[Ability(uuid.UUID(a["id"]), uuid.UUID(a["essence"]), a["name"], a["rank"],
                           bool(a["awakened"]), a["meta"]) for a in abilities],
        inventory=[InventoryItem(uuid.UUID(i["id"]), i["item"], i["qty"], i["slot"], i["meta"])
                   for i in inventory],
        quests=[QuestProgress(uuid.UUID(q["id"]), q["quest"], "active", q["progress"] or {})
                for q in quests],
        skills=[Skill(uuid.UUID(s["id"]), s["skill"], s["level"], s["xp"]) for s in skills],
    )


class CharacterRepository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def load(self, character_id: uuid.UUID) -> Character | None:
        """The whole aggregate (essences, abilities, inventory, active quests, skills) at once."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(_LOAD_SQL, (character_id,))
            row = await cur.fetchone()
        return _character_from_row(row) if row else None

    async def list_for_player(self, player_id: uuid.UUID) -> list[CharacterSummary]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, name, rank FROM characters WHERE player_id = %s"
                " ORDER BY created_at, name", (player_id,))
            return [CharacterSummary(*row) for row in await cur.fetchall()]

    async def id_of(self, name: str) -> uuid.UUID | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM characters WHERE lower(name) = lower(%s)", (name,))
            row = await cur.fetchone()
        return row[0] if row else None

    async def name_taken(self, name: str) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM characters WHERE lower(name) = lower(%s)", (name,))
            return await cur.fetchone() is not None

    async def create(self, player_id: uuid.UUID, name: str, room_id: str) -> Character:
        """Insert a new character with starting attributes and full pools."""
        template = Character(id=new_id(), player_id=player_id, name=name, room_id=room_id)
        template.health, template.mana, template.stamina = (
            template.max_health, template.max_mana, template.max_stamina)
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO characters (id, player_id, name, current_room_id,"
                    " health, mana, stamina) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (template.id, player_id, name, room_id, template.health, template.mana,
                     template.stamina))
        except errors.UniqueViolation as exc:
            raise NameTaken(name) from exc
        return template
