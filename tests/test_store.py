"""Repositories and the saver against a real PostgreSQL: what is written is what loads back."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio

from mud.game.ids import new_id
from mud.game.model import Ability, Essence, QuestProgress, Skill
from mud.store import batches
from mud.store.audit import AuditEntry, AuditLog
from mud.store.characters import CharacterRepository, NameTaken
from mud.store.database import open_database
from mud.store.players import AccountExists, PlayerRepository
from mud.store.saver import Saver
from tests.conftest import query


@pytest_asyncio.fixture
async def db(make_database, tmp_path: Path):
    async with open_database(make_database(), tmp_path, max_size=4) as database:
        yield database


async def test_accounts_are_unique_without_case(db) -> None:
    players = PlayerRepository(db.pool)
    account = await players.create("Ann", "ann@example.com", "hash")
    assert (await players.by_username("aNN")).id == account.id
    assert (await players.by_id(account.id)).username == "Ann"
    assert account.role == "player"
    with pytest.raises(AccountExists) as taken:
        await players.create("ANN", "other@example.com", "hash")
    assert taken.value.field == "username"
    with pytest.raises(AccountExists) as taken:
        await players.create("Bea", "ANN@example.com", "hash")
    assert taken.value.field == "email"


async def test_character_names_are_unique_without_case(db) -> None:
    players, characters = PlayerRepository(db.pool), CharacterRepository(db.pool)
    account = await players.create("Cid", "cid@example.com", "hash")
    created = await characters.create(account.id, "Cid", "village_square")
    assert await characters.name_taken("cID")
    assert not await characters.name_taken("Dot")
    with pytest.raises(NameTaken):
        await characters.create(account.id, "CID", "village_square")
    listed = await characters.list_for_player(account.id)
    assert [(c.id, c.name, c.rank) for c in listed] == [(created.id, "Cid", "normal")]


async def test_every_part_round_trips_through_the_saver(db) -> None:
    players, characters = PlayerRepository(db.pool), CharacterRepository(db.pool)
    account = await players.create("Eve", "eve@example.com", "hash")
    ch = await characters.create(account.id, "Eve", "village_square")
    assert (ch.health, ch.mana, ch.stamina) == (100, 100, 100)
    saver = Saver(db.pool, interval=60)
    saver.attach(ch)
    essence = Essence(new_id(), "flame", "power", "normal")
    ch.essences.append(essence)
    ch.abilities.append(Ability(new_id(), essence.id, "Fire Bolt", "normal", False,
                                {"cooldown_until": 12.5, "progress": 3}))
    ch.quests.append(QuestProgress(new_id(), "rat_problem", "active", {"rats": 2}))
    ch.skills.append(Skill(new_id(), "swordsmanship", 2, 40))
    ch.add_item("copper_coin", 7, stackable=True)
    ch.add_item("rusty_sword", 1, stackable=False, metadata={"durability": 80})
    ch.power = 12
    ch.move_to("market_street")
    assert await saver.flush()

    loaded = await characters.load(ch.id)
    assert loaded is not None
    assert (loaded.name, loaded.power, loaded.room_id) == ("Eve", 12, "market_street")
    assert loaded.essences == ch.essences
    assert loaded.abilities == ch.abilities
    assert loaded.quests == [QuestProgress(ch.quests[0].id, "rat_problem", "active", {"rats": 2})]
    assert loaded.skills == ch.skills
    assert [(i.id, i.item_id, i.quantity, i.metadata) for i in loaded.inventory] == [
        (i.id, i.item_id, i.quantity, i.metadata) for i in ch.inventory]

    # a finished quest leaves memory but stays in the table; the log loads only active ones
    ch.quests[0].status = "completed"
    ch.quests[0].completed_at = datetime.now()
    assert await saver.flush()
    ch.quests.clear()
    assert await saver.flush()
    rows = await query(db_url(db), "SELECT status, completed_at IS NOT NULL FROM"
                                   " character_quests WHERE character_id = %s", ch.id)
    assert rows == [("completed", True)]
    assert (await characters.load(ch.id)).quests == []


class HeldAudit(AuditLog):
    """An audit log whose writes wait, once the rows are sent, until the test lets them end."""

    def __init__(self, pool) -> None:
        super().__init__(pool)
        self.writes = 0
        self.sent = asyncio.Event()
        self.let_end = asyncio.Event()

    async def write_batch(self, conn, batch) -> None:
        self.writes += 1
        await super().write_batch(conn, batch)
        self.sent.set()
        await self.let_end.wait()


async def test_a_write_under_way_when_a_batch_writer_stops_ends_and_is_not_redone(
        db, monkeypatch) -> None:
    monkeypatch.setattr(batches, "FLUSH_INTERVAL", 0.01)
    audit = HeldAudit(db.pool)
    audit.start()
    audit.record(AuditEntry("merlin", "Merlin", "wizard", "wizlock", "", "on", "ok"))
    await audit.sent.wait()  # the timer's write is under way
    stopping = asyncio.create_task(audit.stop())
    await asyncio.sleep(0)  # stop runs until it waits
    audit.let_end.set()
    await stopping
    assert audit.writes == 1 and audit.waiting == []
    assert await query(db_url(db), "SELECT character, command FROM audit_log") == [
        ("Merlin", "wizlock")]


def db_url(db) -> str:
    return db.pool.conninfo
