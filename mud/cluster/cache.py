"""The character cache in Redis: `<prefix>:character:<id>`, the whole aggregate as JSON, for five
minutes. Lookups go memory, then here, then PostgreSQL. An entry is written only once the
character's state is committed (when its process lets it go), and dropped whenever anything
outside the game changes the character in the database (a trigger notifies; see
sql/0004_character_change_notices.sql and ChangeListener)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from typing import Any

import psycopg
from psycopg import sql

from mud.cluster.redis import RedisLink
from mud.game.model import Ability, Character, Essence, InventoryItem, QuestProgress, Skill
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.cache")

TTL_SECONDS = 300
NOTIFY_CHANNEL = "mud_character_changed"


def to_json(ch: Character) -> str:
    """Everything saved about a character (its active quests and finished quest ids)."""
    return json.dumps({
        "id": str(ch.id), "player_id": str(ch.player_id), "name": ch.name, "rank": ch.rank,
        "power": ch.power, "speed": ch.speed, "spirit": ch.spirit, "recovery": ch.recovery,
        "room_id": ch.room_id, "health": ch.health, "mana": ch.mana, "stamina": ch.stamina,
        "inventory_expansion": ch.inventory_expansion, "weak_until": ch.weak_until,
        "frozen": ch.frozen, "prompt": ch.prompt, "colour": ch.colour,
        "essences": [[str(e.id), e.essence_type, e.attribute_bound, e.rank_bonded]
                     for e in ch.essences],
        "abilities": [[str(a.id), str(a.essence_id), a.ability_name, a.current_rank,
                       a.awakened, a.metadata] for a in ch.abilities],
        "inventory": [[str(i.id), i.item_id, i.quantity, i.slot, i.metadata]
                      for i in ch.inventory],
        "quests": [[str(q.id), q.quest_id, q.progress] for q in ch.quests
                   if q.status == "active"],
        "completed": sorted(ch.completed_quests),
        "skills": [[str(s.id), s.skill_id, s.level, s.experience] for s in ch.skills],
    })


def from_json(raw: str | bytes) -> Character:
    d = json.loads(raw)
    return Character(
        id=uuid.UUID(d["id"]), player_id=uuid.UUID(d["player_id"]), name=d["name"],
        rank=d["rank"], power=d["power"], speed=d["speed"], spirit=d["spirit"],
        recovery=d["recovery"], room_id=d["room_id"], health=d["health"], mana=d["mana"],
        stamina=d["stamina"], inventory_expansion=d["inventory_expansion"],
        weak_until=d["weak_until"], frozen=d.get("frozen", False), prompt=d.get("prompt"),
        colour=d.get("colour"),
        essences=[Essence(uuid.UUID(i), t, a, r) for i, t, a, r in d["essences"]],
        abilities=[Ability(uuid.UUID(i), uuid.UUID(e), n, r, w, m)
                   for i, e, n, r, w, m in d["abilities"]],
        inventory=[InventoryItem(uuid.UUID(i), item, q, slot, m)
                   for i, item, q, slot, m in d["inventory"]],
        quests=[QuestProgress(uuid.UUID(i), quest, "active", progress)
                for i, quest, progress in d["quests"]],
        completed_quests=set(d["completed"]),
        skills=[Skill(uuid.UUID(i), s, level, xp) for i, s, level, xp in d["skills"]])


class CharacterCache:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self.link = link
        self.prefix = prefix
        self.hits = 0
        self.misses = 0

    def key(self, character_id: uuid.UUID) -> str:
        return f"{self.prefix}:character:{character_id}"

    async def get(self, character_id: uuid.UUID) -> Character | None:
        raw = await self.link.call(lambda r: r.get(self.key(character_id)), None)
        if raw is None:
            self.misses += 1
            return None
        try:
            ch = from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("event=cache_entry_unreadable character=%s", character_id)
            await self.forget(character_id)
            self.misses += 1
            return None
        self.hits += 1
        return ch

    def name_key(self, name: str) -> str:
        return f"{self.prefix}:charname:{name.lower()}"

    async def put(self, ch: Character) -> None:
        """Only with state the database has committed."""
        payload = to_json(ch)

        async def write(r: Any) -> None:
            async with r.pipeline(transaction=True) as pipe:
                await pipe.set(self.key(ch.id), payload, ex=TTL_SECONDS).set(
                    self.name_key(ch.name), str(ch.id), ex=TTL_SECONDS).execute()

        await self.link.call(write, None)

    async def by_name(self, name: str) -> Character | None:
        """A cached character by its name (for `finger` of offline characters)."""
        raw = await self.link.call(lambda r: r.get(self.name_key(name)), None)
        return None if raw is None else await self.get(uuid.UUID(raw.decode()))

    async def forget(self, character_id: uuid.UUID) -> None:
        await self.link.call(lambda r: r.delete(self.key(character_id)), None)

    async def forget_all(self) -> int:
        """Drop every entry (at start when no other process was up to hear of changes)."""

        async def purge(r: Any) -> int:
            dropped = 0
            async for key in r.scan_iter(match=f"{self.prefix}:character:*", count=500):
                dropped += await r.delete(key)
            return dropped

        return await self.link.call(purge, 0)


class ChangeListener:
    """LISTENs for changes made to characters from outside the game and drops their cache
    entries (the game's own writes set mud.writer = 'game' and notify nothing)."""

    def __init__(self, url: str, cache: CharacterCache) -> None:
        self.url = url
        self.cache = cache
        self._task: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="change-listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url,
                                                                 autocommit=True) as conn:
                    await conn.execute(sql.SQL("LISTEN {}").format(
                        sql.Identifier(NOTIFY_CHANNEL)))
                    self.listening.set()
                    backoff = 0.5
                    async for notice in conn.notifies():
                        with contextlib.suppress(ValueError):
                            await self.cache.forget(uuid.UUID(notice.payload))
            except (psycopg.Error, OSError) as exc:
                self.listening.clear()
                log.warning("event=change_listener_lost error=%r retry_in=%.1fs", str(exc),
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(30.0, backoff * 2)

