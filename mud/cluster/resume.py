"""Resume tokens: a web client whose socket dropped (a phone changing networks, a laptop lid)
plays on with a token instead of its password. A token names an account and a character, is
kept in Redis (so any gateway of the game honours it) under its hash, is used once (each resume
hands out the next), and lapses after RESUME_SECONDS or when the session ends. Bans are checked
on every resume as on every login."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from mud.cluster.redis import RedisLink

log = logging.getLogger("mud.session")

RESUME_SECONDS = 3600


@dataclass(frozen=True)
class Claim:
    account_id: uuid.UUID
    character_id: uuid.UUID


class Resumptions:
    def __init__(self, link: RedisLink, prefix: str) -> None:
        self.link = link
        self.prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self.prefix}:resume:{hashlib.sha256(token.encode()).hexdigest()}"

    async def issue(self, account_id: uuid.UUID, character_id: uuid.UUID) -> str | None:
        """A new token for this account and character; None while Redis is away."""
        token = secrets.token_urlsafe(32)
        value = json.dumps({"account": str(account_id), "character": str(character_id)})
        stored = await self.link.call(
            lambda r: r.set(self._key(token), value, ex=RESUME_SECONDS), None)
        return token if stored else None

    async def redeem(self, token: str) -> Claim | None:
        """What the token names, once (it is spent); None for an unknown, spent or lapsed
        token, or while Redis is away."""
        raw = await self.link.call(lambda r: r.getdel(self._key(token)), None)
        if raw is None:
            return None
        try:
            found: dict[str, Any] = json.loads(raw)
            return Claim(uuid.UUID(found["account"]), uuid.UUID(found["character"]))
        except (ValueError, KeyError, TypeError):
            log.warning("event=resume_token_unreadable")
            return None

    async def revoke(self, token: str) -> None:
        await self.link.call(lambda r: r.delete(self._key(token)), None)
