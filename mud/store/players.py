"""Accounts: hand-written SQL over the async pool."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from psycopg import errors
from psycopg_pool import AsyncConnectionPool


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    username: str
    password_hash: str
    role: str


class AccountExists(Exception):
    """The username or email is already registered."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already registered")
        self.field = field


_ACCOUNT_COLUMNS = "id, username, password_hash, role"


class PlayerRepository:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def by_id(self, player_id: uuid.UUID) -> Account | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM players WHERE id = %s", (player_id,))
            row = await cur.fetchone()
        return Account(*row) if row else None

    async def by_username(self, username: str) -> Account | None:
        """Find an account by username, ignoring case."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_ACCOUNT_COLUMNS} FROM players WHERE lower(username) = lower(%s)",
                (username,))
            row = await cur.fetchone()
        return Account(*row) if row else None

    async def registered(self, username: str, email: str) -> str | None:
        """Which of username and email an account already has, ignoring case: "username",
        "email" or None (both free)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT lower(username) = lower(%s) FROM players"
                " WHERE lower(username) = lower(%s) OR lower(email) = lower(%s)"
                " ORDER BY 1 DESC LIMIT 1", (username, username, email))
            row = await cur.fetchone()
        if row is None:
            return None
        return "username" if row[0] else "email"

    async def create(self, username: str, email: str, password_hash: str) -> Account:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(
                    "INSERT INTO players (username, email, password_hash) VALUES (%s, %s, %s)"
                    f" RETURNING {_ACCOUNT_COLUMNS}", (username, email, password_hash))
                row = await cur.fetchone()
        except errors.UniqueViolation as exc:
            constraint = exc.diag.constraint_name or ""
            raise AccountExists("email" if "email" in constraint else "username") from exc
        assert row is not None
        return Account(*row)

    async def update_last_login(self, player_id: uuid.UUID) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("UPDATE players SET last_login = now() WHERE id = %s", (player_id,))

    async def set_role(self, username: str, role: str) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE players SET role = %s WHERE lower(username) = lower(%s)", (role, username))
            return cur.rowcount == 1

    async def set_password_hash(self, player_id: uuid.UUID, password_hash: str) -> bool:
        """Store an account's new password hash; False when there is no such account."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("UPDATE players SET password_hash = %s WHERE id = %s",
                                     (password_hash, player_id))
            return cur.rowcount == 1
