"""Account rules and password hashing. argon2id runs in a small thread pool, never on the
event loop."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

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

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


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


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_pool, _hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await asyncio.get_running_loop().run_in_executor(_pool, _verify, password_hash,
                                                            password)
