"""Letters between characters, in PostgreSQL: sent to a character playing or not, listed
oldest first, marked read when read, kept until deleted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from mud.store.repository import Repository

INBOX_MAX = 100  # letters one character may hold


@dataclass(frozen=True)
class Letter:
    id: int
    sender: str
    body: str
    sent_at: datetime
    read: bool


class MailRepository(Repository):
    async def send(self, recipient_id: uuid.UUID, sender: str, body: str) -> bool:
        """False (nothing sent) when the recipient's inbox is full."""
        rows = await self._rows(
            "INSERT INTO mail (recipient_id, sender, body) SELECT %s, %s, %s"
            " WHERE (SELECT count(*) FROM mail WHERE recipient_id = %s) < %s RETURNING id",
            (recipient_id, sender, body, recipient_id, INBOX_MAX))
        return bool(rows)

    async def inbox(self, recipient_id: uuid.UUID) -> list[Letter]:
        rows = await self._rows(
            "SELECT id, sender, body, sent_at, read_at IS NOT NULL FROM mail"
            " WHERE recipient_id = %s ORDER BY id", (recipient_id,))
        return [Letter(*row) for row in rows]

    async def unread(self, recipient_id: uuid.UUID) -> int:
        rows = await self._rows("SELECT count(*) FROM mail WHERE recipient_id = %s"
                                " AND read_at IS NULL", (recipient_id,))
        return int(rows[0][0])

    async def mark_read(self, letter_id: int) -> None:
        await self._rows("UPDATE mail SET read_at = now() WHERE id = %s AND read_at IS NULL",
                         (letter_id,))

    async def delete(self, recipient_id: uuid.UUID, letter_id: int) -> None:
        await self._rows("DELETE FROM mail WHERE id = %s AND recipient_id = %s",
                         (letter_id, recipient_id))
