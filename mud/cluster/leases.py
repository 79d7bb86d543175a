"""One live copy of a character in the whole game: the process that has a character in memory
holds its lease in Redis (set if absent, with an expiry it keeps renewing). Another process
that wants the character asks the holder, over the bus, to save it and let go; a crashed
holder's lease simply expires.

Redis may lose the leases while their holders play on: a restart without persistence, a
FLUSHALL. Renewal therefore takes a missing lease back (set if absent), and runs at once when
Redis returns, so every holder has its leases again within one renewal period. Until then a
free lease proves nothing, so Redis also keeps an epoch, a random value written whenever it is
found missing: a process that finds it changed (Redis lost its data) takes no free lease for one
renewal period and a margin. A lease found held by another process at renewal is a conflict
(both took it while Redis was away, or the lease expired): the holder keeps the character, and
this process saves its copy and lets go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mud.cluster.redis import RedisLink
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.leases")

# delete the lease only while it is still this process's, writing the keys that go with letting
# go (KEYS[2..] = ARGV[3..], expiring in ARGV[2] seconds) in the same step
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('set', KEYS[i], ARGV[i + 1], 'EX', ARGV[2]) end
return redis.call('del', KEYS[1])
"""
# take a free lease or extend this process's; the holder either way
_TAKE = """
local holder = redis.call('get', KEYS[1])
if not holder then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return ARGV[1]
end
if holder == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) end
return holder
"""
# renewal of leases (KEYS) by their holder (ARGV[1]): for each, in order, 'kept' (extended),
# 'retaken' (Redis had lost it) or the other holder. One command for many leases: renewing 5,000
# character leases one command each held the world's loop for a quarter of a second while
# redis-py built and read them. The world lease renews with it too.
KEEP = """
local answers = {}
for i, key in ipairs(KEYS) do
    local holder = redis.call('get', key)
    if holder == ARGV[1] then
        redis.call('pexpire', key, ARGV[2])
        answers[i] = 'kept'
    elseif not holder then
        redis.call('set', key, ARGV[1], 'PX', ARGV[2])
        answers[i] = 'retaken'
    else
        answers[i] = holder
    end
end
return answers
"""
KEEP_CHUNK = 1000  # leases per KEEP call: Redis runs a script to the end before anything else
# the epoch, written when missing; returns it and whether it was just written
_EPOCH = """
local epoch = redis.call('get', KEYS[1])
if epoch then return {epoch, 0} end
redis.call('set', KEYS[1], ARGV[1])
return {ARGV[1], 1}
"""

OURS = "ours"  # acquire's answer when the lease is (now) this process's
AWAY = ""  # acquire's answer while Redis is away: nothing can be known
WAIT = "wait"  # acquire's answer while holders may still be taking back leases Redis lost
GRACE_MARGIN = 1.0  # seconds beyond a renewal period before free leases are trusted again


class Leases:
    def __init__(self, link: RedisLink, prefix: str, process_id: str, seconds: float) -> None:
        self.link = link
        self.prefix = prefix
        self.process_id = process_id
        self.ttl_ms = int(seconds * 1000)
        self.renewal_seconds = seconds / 3
        self.held: Callable[[], Iterable[uuid.UUID]] = list  # characters this process has
        self.on_conflict: Callable[[uuid.UUID, str], None] = lambda cid, holder: None
        self.epoch: str | None = None  # Redis's, as this process last saw it
        self._grace_until = 0.0  # monotonic time until which free leases are not trusted
        self._task: asyncio.Task[None] | None = None
        link.on_up.append(self.renew_all)

    def key(self, character_id: uuid.UUID) -> str:
        return f"{self.prefix}:lease:{character_id}"

    @property
    def epoch_key(self) -> str:
        return f"{self.prefix}:epoch"

    # -- the epoch ------------------------------------------------------------------------------

    async def _check_epoch(self, r: Any, at_start: bool = False, others: bool = False) -> None:
        """Read Redis's epoch (writing one when it is missing). A changed epoch means Redis lost
        its data since this process last looked: start the grace period. At start there is
        nothing to compare with: a missing epoch then calls for grace only when other processes
        are up (they may hold characters whose leases are gone)."""
        raw, created = await r.eval(_EPOCH, 1, self.epoch_key, uuid.uuid4().hex)
        epoch = raw.decode()
        lost = (others and bool(created)) if at_start else \
            (self.epoch is not None and epoch != self.epoch) or (self.epoch is None and created)
        self.epoch = epoch
        if lost:
            self._grace_until = time.monotonic() + self.renewal_seconds + GRACE_MARGIN
            log.warning("event=redis_data_lost grace_s=%.1f hint=%r", self.grace_left(),
                        "leases are taken back by their holders; logins of characters held "
                        "nowhere wait until then")

    def grace_left(self) -> float:
        """Seconds until free leases are trusted again (0: they are)."""
        return max(0.0, self._grace_until - time.monotonic())

    # -- taking and letting go ------------------------------------------------------------------

    async def acquire(self, character_id: uuid.UUID) -> str:
        """OURS, the holder's process id, WAIT (the lease is free, but holders may still be
        taking back leases Redis lost: ask again after grace_left()), or AWAY (Redis away:
        nothing is known, the caller goes ahead; renewal takes the lease once Redis returns)."""
        key = self.key(character_id)

        async def take(r: Any) -> str:
            await self._check_epoch(r)
            if self.grace_left() > 0:
                holder = await r.get(key)
                if holder is None:
                    return WAIT
                if holder.decode() != self.process_id:
                    return holder.decode()
            holder = (await r.eval(_TAKE, 1, key, self.process_id, self.ttl_ms)).decode()
            return OURS if holder == self.process_id else holder

        return await self.link.call(take, AWAY)

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

    async def release(self, character_id: uuid.UUID, leaving: Sequence[tuple[str, str]] = (),
                      ttl: int = 1) -> None:
        """Free the lease if it is still this process's, and in the same step write leaving
        (key, value pairs expiring in ttl seconds: the cache entry of the character let go).
        Nothing is written when the lease is another's or gone."""
        keys = [self.key(character_id), *(key for key, _ in leaving)]
        await self.link.call(lambda r: r.eval(_RELEASE, len(keys), *keys, self.process_id, ttl,
                                              *(value for _, value in leaving)), None)

    # -- keeping --------------------------------------------------------------------------------

    async def open(self, others_alive: bool) -> None:
        """Read the epoch at start (others_alive: other processes of the game are up), then
        renew every renewal period."""
        await self.link.call(lambda r: self._check_epoch(r, True, others_alive), None)
        self._task = asyncio.create_task(self._renew_forever(), name="lease-renewal")

    async def renew_all(self) -> None:
        """Extend every lease this process holds, taking back those Redis lost; a lease another
        process holds now is a conflict (on_conflict). Runs every renewal period and whenever
        Redis comes back."""
        held: list[uuid.UUID] = []

        async def keep(r: Any) -> list[bytes]:
            await self._check_epoch(r)
            held.extend(self.held())
            answers: list[bytes] = []
            for start in range(0, len(held), KEEP_CHUNK):
                chunk = held[start:start + KEEP_CHUNK]
                answers += await r.eval(KEEP, len(chunk), *map(self.key, chunk),
                                        self.process_id, self.ttl_ms)
            return answers

        answers = await self.link.call(keep, None)
        if answers is None:  # Redis away: the leases are taken back when it returns
            return
        still_held = set(self.held())
        for cid, answer in zip(held, answers, strict=True):
            outcome = answer.decode()
            if outcome == "retaken":
                if cid not in still_held:  # let go while the renewal ran: let go again
                    await self.release(cid)
                    continue
                log.warning("event=lease_retaken character=%s", cid)
            elif outcome != "kept":
                log.warning("event=lease_conflict character=%s holder=%s", cid, outcome)
                self.on_conflict(cid, outcome)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.renewal_seconds)
            await self.renew_all()

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
