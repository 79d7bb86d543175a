"""Account rules, password hashing and login throttling.

argon2id runs in a small thread pool, never on the event loop, and the number of hashes waiting
is bounded, so a storm of logins cannot starve the players already in the game.
"""

from __future__ import annotations

import asyncio
import logging
import re
import string
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

log = logging.getLogger("mud.auth")

# Names are ASCII: every client can type and show them, and finding a player by name stays a
# plain case-insensitive comparison. A refusal says which characters are outside the rule.
NAME_MIN, NAME_MAX = 3, 20
USERNAME_RULE = f"{NAME_MIN}-{NAME_MAX} letters a-z, digits or underscores, starting with a letter"
USERNAME_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_PATTERN = re.compile(r"^[^@\s'\"<>]+@[^@\s'\"<>]+\.[^@\s'\"<>]+$")
EMAIL_MAX = 255
CHARACTER_NAME_RULE = f"{NAME_MIN}-{NAME_MAX} letters a-z, nothing else"
CHARACTER_NAME_CHARACTERS = frozenset(string.ascii_letters)
RESERVED_NAMES = frozenset({"all", "self", "someone", "new", "quit", "admin", "wizard",
                            "builder", "system", "server", "god", "everyone", "nobody"})
_NAMED = {" ": "a space", "'": "an apostrophe"}  # characters a refusal names in words
SIGNUP_WINDOW = 3600.0  # seconds: MUD_NEW_ACCOUNTS_PER_ADDRESS counts accounts per hour


def _spelling_problem(name: str, allowed: frozenset[str]) -> str | None:
    """What breaks the rule in name: characters outside allowed, then its length."""
    outside = [c for c in dict.fromkeys(name) if c not in allowed]
    if outside:
        listed = ", ".join(_NAMED.get(c, f"'{c}'") for c in outside[:5])
        problem = f"{listed} {'is not one of them' if len(outside) == 1 else 'are not among them'}"
        unaccented = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        if len(unaccented) == len(name) <= NAME_MAX and set(unaccented) <= allowed:
            problem += f"; try '{unaccented}'"
        return problem
    if len(name) < NAME_MIN:
        return f"'{name}' is too short"
    if len(name) > NAME_MAX:
        return f"that one is {len(name)} characters long"
    return None


def username_problem(name: str) -> str | None:
    problem = _spelling_problem(name, USERNAME_CHARACTERS)
    if problem is None and not name[0].isalpha():
        problem = f"'{name[0]}' is not a letter"
    return None if problem is None else f"A username is {USERNAME_RULE}: {problem}."


def password_problem(password: str) -> str | None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return f"A password is {PASSWORD_MIN} to {PASSWORD_MAX} characters long."
    return None


def email_problem(email: str) -> str | None:
    if len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        return "That does not look like an email address (name@example.com)."
    return None


def character_name_problem(name: str, command_words: set[str]) -> str | None:
    problem = _spelling_problem(name, CHARACTER_NAME_CHARACTERS)
    if problem is not None:
        return f"A character name is {CHARACTER_NAME_RULE}: {problem}."
    if name.lower() in command_words or name.lower() in RESERVED_NAMES:
        return f"'{name}' is a reserved word; choose another name."
    return None


class HashingBusy(Exception):
    """Too many password hashes are waiting; the caller should ask the user to retry."""


class Passwords:
    """argon2id hashing and verifying in a bounded thread pool. New hashes use one lane
    (parallelism 1): with more, argon2 starts a thread per lane inside each hash, and the pool's
    size (MUD_HASH_WORKERS) would no longer bound the threads hashing. A hash is verified with
    the parameters it was made with, so those made with four lanes still verify."""

    MAX_WAITING = 1000  # beyond this many queued hashes, new logins are asked to retry

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536, workers: int = 1) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                      parallelism=1)
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
class _Count:
    count: int = 0
    at: float = field(default_factory=time.monotonic)  # when its window runs from


class _ExpiringCounts:
    """Counts by key, each forgotten `window` seconds after its `at`. Expired counts are
    dropped when read and by forget_expired (which forget_expired_every runs on a schedule)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._counts: dict[str, _Count] = {}

    def _get(self, key: str) -> _Count:
        entry = self._counts.get(key)
        if entry is not None and time.monotonic() - entry.at > self.window:
            del self._counts[key]
            entry = None
        return entry or _Count()

    def _seconds_left(self, entry: _Count) -> float:
        return self.window - (time.monotonic() - entry.at)

    def forget_expired(self) -> int:
        """Drop the counts whose window is over; how many were dropped."""
        before = len(self._counts)
        for key in list(self._counts):
            self._get(key)
        return before - len(self._counts)


class LoginThrottle(_ExpiringCounts):
    """Failed logins counted per account and per address; a count is forgotten `lockout`
    seconds after its latest failure. Each recent failure slows the next reply down; past the
    limit, logins are refused until then."""

    ACCOUNT_LIMIT = 5
    ADDRESS_LIMIT = 20

    def __init__(self, delay_per_failure: float, lockout: float) -> None:
        super().__init__(lockout)
        self.delay_per_failure = delay_per_failure

    @property
    def lockout(self) -> float:
        return self.window

    def refused_for(self, account: str, address: str) -> float:
        """Seconds until this account or address may try again (0: now)."""
        waits = [self._seconds_left(entry)
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
            entry.at = time.monotonic()
            self._counts[key] = entry
            counts.append(entry.count)
        return min(self.delay_per_failure * (max(counts) - 1), 5.0)

    def succeeded(self, account: str) -> None:
        self._counts.pop(f"account:{account.lower()}", None)


class SignupThrottle(_ExpiringCounts):
    """Accounts made per address: at most `limit` (0: no limit) in `window` seconds from the
    address's first. A flood of creates cannot fill the database or keep the hashing threads
    busy."""

    def __init__(self, limit: int, window: float = SIGNUP_WINDOW) -> None:
        super().__init__(window)
        self.limit = limit

    def refused_for(self, address: str) -> float:
        """Seconds until address may make an account (0: now)."""
        entry = self._get(address)
        return self._seconds_left(entry) if self.limit and entry.count >= self.limit else 0.0

    def admit(self, address: str) -> float:
        """Count an account about to be made from address, if it may be (0 returned); else the
        seconds until it may."""
        wait = self.refused_for(address)
        if self.limit and not wait:
            entry = self._get(address)
            entry.count += 1
            self._counts[address] = entry
        return wait


async def forget_expired_every(interval: float, *throttles: _ExpiringCounts) -> None:
    """Prune the in-memory counts on a schedule of their own (at least a second apart): they
    are what counts while Redis is away, and expired ones would otherwise stay until read."""
    while True:
        await asyncio.sleep(max(1.0, interval))
        forgotten = sum(throttle.forget_expired() for throttle in throttles)
        if forgotten:
            log.debug("event=login_limits_pruned forgotten=%d", forgotten)
