"""What wizards tell everyone, in PostgreSQL: the message of the day (shown at login; the world
keeps a copy, read once at start and updated as it is set) and the news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from mud.store.repository import Repository

NEWS_SHOWN = 10


@dataclass(frozen=True)
class NewsItem:
    id: int
    body: str
    author: str
    posted_at: datetime


class Boards(Repository):
    def __init__(self, pool: AsyncConnectionPool) -> None:
        super().__init__(pool)
        self.motd = ""  # the message of the day as last read or set ("": none)

    async def load(self) -> None:
        rows = await self._rows("SELECT body FROM motd")
        self.motd = rows[0][0] if rows else ""

    async def set_motd(self, body: str, author: str) -> None:
        """body "" clears it."""
        if body:
            await self._rows("INSERT INTO motd (body, author) VALUES (%s, %s) ON CONFLICT (id)"
                             " DO UPDATE SET body = excluded.body, author = excluded.author,"
                             " set_at = now()", (body, author))
        else:
            await self._rows("DELETE FROM motd")
        self.motd = body

    async def news(self) -> list[NewsItem]:
        """The newest items, newest first."""
        rows = await self._rows("SELECT id, body, author, posted_at FROM news"
                                " ORDER BY id DESC LIMIT %s", (NEWS_SHOWN,))
        return [NewsItem(*row) for row in rows]

    async def post(self, body: str, author: str) -> int:
        rows = await self._rows("INSERT INTO news (body, author) VALUES (%s, %s) RETURNING id",
                                (body, author))
        return int(rows[0][0])

    async def remove(self, news_id: int) -> bool:
        return bool(await self._rows("DELETE FROM news WHERE id = %s RETURNING id", (news_id,)))
