"""Bugs, ideas and typos players report, in PostgreSQL, with where they stood, until a wizard
closes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mud.store.repository import Repository

KINDS = ("bug", "idea", "typo")
LISTED = 20


@dataclass(frozen=True)
class Report:
    id: int
    kind: str
    character: str
    room_id: str
    body: str
    filed_at: datetime


class Reports(Repository):
    async def file(self, kind: str, character: str, room_id: str, body: str) -> int:
        rows = await self._rows("INSERT INTO reports (kind, character, room_id, body)"
                                " VALUES (%s, %s, %s, %s) RETURNING id",
                                (kind, character, room_id, body))
        return int(rows[0][0])

    async def open(self) -> tuple[list[Report], int]:
        """The oldest open reports (at most LISTED), and how many are open in all."""
        rows = await self._rows("SELECT id, kind, character, room_id, body, filed_at,"
                                " count(*) OVER () FROM reports WHERE closed_at IS NULL"
                                " ORDER BY id LIMIT %s", (LISTED,))
        return [Report(*row[:6]) for row in rows], int(rows[0][6]) if rows else 0

    async def close(self, report_id: int, by: str) -> bool:
        return bool(await self._rows("UPDATE reports SET closed_at = now(), closed_by = %s"
                                     " WHERE id = %s AND closed_at IS NULL RETURNING id",
                                     (by, report_id)))
