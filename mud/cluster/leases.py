"""One live copy of a character in the whole game: the process that has a character in memory
holds its lease in Redis (set if absent, with an expiry it keeps renewing). Another process
that wants the character asks the holder, over the bus, to save it and let go; a crashed
holder's lease simply expires."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from mud.cluster.redis import RedisLink
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.leases")

# delete / extend the lease only while it is still this process's
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) " \
           "else return 0 end"
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then " \
         "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"

OURS = "ours"  # acquire's answer when the lease is (now) this process's
AWAY = ""  # acquire's answer while Redis is away: nothing can be known


class Leases:
    def __init__(self, link: RedisLink, prefix: str, process_id: str, seconds: float) -> None:
        self.link = link
        self.prefix = prefix
        self.process_id = process_id
        self.ttl_ms = int(seconds * 1000)
        self.unconfirmed: set[uuid.UUID] = set()  # taken while Redis was away
        self.held: Callable[[], Iterable[uuid.UUID]] = list  # characters this process has
        self._task: asyncio.Task[None] | None = None
        self.on_conflict: Callable[[uuid.UUID, str], None] = lambda cid, holder: None
        link.on_up.append(self.reconcile)

    def key(self, character_id: uuid.UUID) -> str:
        return f"{self.prefix}:lease:{character_id}"

    async def acquire(self, character_id: uuid.UUID) -> str:
        """OURS, the holder's process id, or AWAY (Redis away: taken provisionally)."""
        key = self.key(character_id)

        async def take(r: Any) -> str:
            if await r.set(key, self.process_id, nx=True, px=self.ttl_ms):
                return OURS
            holder = await r.get(key)
            if holder is None:  # expired in between: try once more next time
                return "unknown"
            holder = holder.decode()
            if holder == self.process_id:
                await r.pexpire(key, self.ttl_ms)
                return OURS
            return holder

        answer = await self.link.call(take, AWAY)
        if answer == AWAY:
            self.unconfirmed.add(character_id)
        return answer

    async def wait_free(self, character_id: uuid.UUID, timeout: float) -> bool:
        """Wait until the lease is this process's (the holder let go, or it expired)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while True:
                    answer = await self.acquire(character_id)
                    if answer in (OURS, AWAY):
                        return True
                    await asyncio.sleep(0.05)
        return False

    async def seconds_left(self, character_id: uuid.UUID) -> float:
        ms = await self.link.call(lambda r: r.pttl(self.key(character_id)), -1)
        return max(0.0, ms / 1000)

    async def release(self, character_id: uuid.UUID) -> None:
        self.unconfirmed.discard(character_id)
        await self.link.call(lambda r: r.eval(_RELEASE, 1, self.key(character_id),
                                              self.process_id), None)

    async def renew_all(self) -> None:
        """Extend every lease this process holds (one pipeline)."""
        held = [cid for cid in self.held() if cid not in self.unconfirmed]
        if not held:
            return

        async def renew(r: Any) -> None:
            async with r.pipeline(transaction=False) as pipe:
                for cid in held:
                    pipe.eval(_RENEW, 1, self.key(cid), self.process_id, self.ttl_ms)
                await pipe.execute()

        await self.link.call(renew, None)

    async def reconcile(self) -> None:
        """Redis is back: claim the leases taken while it was away. One another process took
        meanwhile is a conflict: the holder keeps the character, this copy leaves."""
        for cid in list(self.unconfirmed):
            self.unconfirmed.discard(cid)
            answer = await self.acquire(cid)
            if answer not in (OURS, AWAY):
                log.warning("event=lease_conflict character=%s holder=%s", cid, answer)
                self.on_conflict(cid, answer)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            await self.renew_all()

    def start(self) -> None:
        self._task = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
