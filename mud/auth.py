"""Account rules, password hashing and login throttling.

argon2id runs in a small thread pool, never on the event loop, and the number of hashes waiting
is bounded, so a storm of logins cannot starve the players already in the game.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

USERNAME_RULE = "3-20 letters, digits or underscores, starting with a letter"
USERNAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{2,19}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_PATTERN = re.compile(r"^[^@\s'\"<>]+@[^@\s'\"<>]+\.[^@\s'\"<>]+$")
EMAIL_MAX = 255
CHARACTER_NAME_RULE = "3-20 letters, nothing else"
CHARACTER_NAME_PATTERN = re.compile(r"^[A-Za-z]{3,20}$")
RESERVED_NAMES = frozenset({"all", "self", "someone", "new", "quit", "admin", "wizard",
                            "builder", "system", "server", "god", "everyone", "nobody"})


def username_problem(name: str) -> str | None:
    return None if USERNAME_PATTERN.match(name) else f"A username is {USERNAME_RULE}."


def password_problem(password: str) -> str | None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters long."
    return None


def email_problem(email: str) -> str | None:
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        return "That does not look like an email address (name@example.com)."
    return None


def character_name_problem(name: str, command_words: set[str]) -> str | None:
    if not CHARACTER_NAME_PATTERN.match(name):
        return f"A character name is {CHARACTER_NAME_RULE}."
    if name.lower() in command_words or name.lower() in RESERVED_NAMES:
        return f"'{name}' is a reserved word; choose another name."
    return None


class HashingBusy(Exception):
    """Too many password hashes are waiting; the caller should ask the user to retry."""


class Passwords:
    """argon2id hashing and verifying in a bounded thread pool."""

    MAX_WAITING = 1000  # beyond this many queued hashes, new logins are asked to retry

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, workers: int = 1) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers),
                                        thread_name_prefix="argon2")
        self._waiting = 0

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        if self._waiting >= self.MAX_WAITING:
            raise HashingBusy()
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._waiting -= 1

    async def hash(self, password: str) -> str:
        return await self._run(self._hasher.hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, password_hash: str, password: str) -> bool:
        return await self._run(self._verify, password_hash, password)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Failures:
    count: int = 0
    last: float = field(default_factory=time.monotonic)


class LoginThrottle:
    """Failed logins counted per account and per address; a count is forgotten `lockout`
    seconds after its latest failure. Each recent failure slows the next reply down; past the
    limit, logins are refused until then."""

    ACCOUNT_LIMIT = 5
    ADDRESS_LIMIT = 20

    def __init__(self, delay_per_failure: float, lockout: float) -> None:
        self.delay_per_failure = delay_per_failure
        self.lockout = lockout
        self._failures: dict[str, _Failures] = {}

    def _get(self, key: str) -> _Failures:
        entry = self._failures.get(key)
        if entry is not None and time.monotonic() - entry.last > self.lockout:
            del self._failures[key]
            entry = None
        return entry or _Failures(0)

    def refused_for(self, account: str, address: str) -> float:
        """Seconds until this account or address may try again (0: now)."""
        waits = [self.lockout - (time.monotonic() - entry.last)
                 for key, limit in ((f"account:{account.lower()}", self.ACCOUNT_LIMIT),
                                    (f"address:{address}", self.ADDRESS_LIMIT))
                 if (entry := self._get(key)).count >= limit]
        return max(waits, default=0.0)

    def failed(self, account: str, address: str) -> float:
        """Record a failure; returns the delay to wait before answering."""
        counts = []
        for key in (f"account:{account.lower()}", f"address:{address}"):
            entry = self._get(key)
            entry.count += 1
            entry.last = time.monotonic()
            self._failures[key] = entry
            counts.append(entry.count)
        return min(self.delay_per_failure * (max(counts) - 1), 5.0)

    def succeeded(self, account: str) -> None:
        self._failures.pop(f"account:{account.lower()}", None)

    def forget_expired(self) -> None:
        for key in list(self._failures):
            self._get(key)
