"""One world process per game: the world holds a lease in Redis (the key `<prefix>:world`, its
value the holder, e.g. hostname:pid:random) with an expiry it keeps renewing. A second world
for the same game refuses to start (WorldTaken), so the game never runs split.

A world that is restarted right after its predecessor was killed may wait for the dead
holder's lease to lapse; a supervising gateway that saw its child world die may instead name
the dead holder, whose lease is then taken over at once (compare and set: never a live
stranger's).

Redis may lose the lease while the world runs (a restart without persistence, a FLUSHALL):
renewal takes a missing lease back, and runs at once when Redis returns. A Redis that is away
at start-up does not keep the world from starting: the lease is unverified until Redis answers
and renewal takes it. A lease found held by another holder at renewal is a conflict: logged,
and on_lost is told; what to do is the world's decision.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mud.cluster.leases import KEEP
from mud.cluster.redis import RedisLink
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.worldlease")

# take the lease when free (SET NX PX), extend it when it is already this holder's, take it
# over when the named predecessor (ARGV[3], '' for none) holds it: {1, the holder before ('' for
# none)}; else {0, the holder, milliseconds until its lease lapses}
_CLAIM = """
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, ''} end
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] or (ARGV[3] ~= '' and holder == ARGV[3]) then
    redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return {1, holder}
end
return {0, holder, redis.call('pttl', KEYS[1])}
"""
# delete the lease only while it is still this holder's
_RELEASE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('del', KEYS[1])
"""

KEPT = "kept"
RETAKEN = "retaken"
POLL_SECONDS = 0.05  # between tries while acquire waits for a lease to lapse


class WorldTaken(Exception):
    """Another world holds the game's lease."""

    def __init__(self, key: str, holder: str, seconds_left: float | None) -> None:
        self.key = key
        self.holder = holder
        self.seconds_left = seconds_left  # until the lease lapses unless renewed (None: unknown)
        lapse = ("it has no expiry" if seconds_left is None
                 else f"it lapses in {seconds_left:.1f}s unless its holder renews it")
        super().__init__(
            f"another world holds this game ({key} = {holder!r}; {lapse}). Stop that world "
            f"process first (its name says where it runs), or give this one another "
            f"MUD_REDIS_PREFIX to run a separate game; a world that died is taken over by the "
            f"next one on its host at once, and on another host once its lease lapses")


class WorldLease:
    def __init__(self, link: RedisLink, prefix: str, holder: str, ttl: float = 10.0) -> None:
        if not holder:
            raise ValueError("a world lease needs a holder")
        self.link = link
        self.prefix = prefix
        self.holder = holder
        self.ttl = ttl
        self.ttl_ms = max(1, int(ttl * 1000))
        self.renewal_seconds = ttl / 3
        # told the other holder when renewal finds the lease another's (once per loss); may be
        # a coroutine function
        self.on_lost: Callable[[str], Awaitable[None] | None] = lambda holder: None
        self.lost_to: str | None = None  # the holder renewal last found instead of this one
        self._active = False  # acquired (or started unverified) and not released
        self._task: asyncio.Task[None] | None = None

    @property
    def key(self) -> str:
        return f"{self.prefix}:world"

    # -- taking and letting go ------------------------------------------------------------------

    async def acquire(self, takeover: str | None = None, wait: float = 0.0) -> None:
        """Take the lease; takeover: a dead predecessor whose lease may be taken over at once.
        Held by another: try again until wait seconds have passed, then raise WorldTaken.
        Redis away: go on unverified (renewal takes the lease once Redis answers)."""
        deadline = time.monotonic() + wait

        async def claim(r: Any) -> tuple[bool, str, int]:
            ours, holder, *ms = await r.eval(_CLAIM, 1, self.key, self.holder, self.ttl_ms,
                                             takeover or "")
            return bool(ours), holder.decode(), int(ms[0]) if ms else 0

        while True:
            answer = await self.link.call(claim, None)
            if answer is None:
                self._activate()
                log.warning("event=world_lease_unverified key=%s holder=%s hint=%r", self.key,
                            self.holder, "Redis is away: starting without knowing whether "
                            "another world runs; the lease is taken when Redis answers")
                return
            ours, holder, ms = answer
            if ours:
                self._activate()
                self.lost_to = None
                if takeover and holder == takeover and holder != self.holder:
                    log.warning("event=world_lease_taken_over key=%s holder=%s previous=%s",
                                self.key, self.holder, holder)
                else:
                    log.info("event=world_lease_acquired key=%s holder=%s", self.key,
                             self.holder)
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorldTaken(self.key, holder, ms / 1000 if ms >= 0 else None)
            await asyncio.sleep(min(POLL_SECONDS, remaining))

    async def stop(self) -> None:
        """Stop renewing (the lease stays until it lapses, as a dead world's would)."""
        self._active = False
        await cancel_and_wait(self._task)
        self._task = None
        if self._renew_on_up in self.link.on_up:
            self.link.on_up.remove(self._renew_on_up)

    async def release(self) -> None:
        """Stop renewing and delete the lease if it is still this holder's."""
        await self.stop()
        await self.link.call(lambda r: r.eval(_RELEASE, 1, self.key, self.holder), None)

    async def current(self) -> str | None:
        """The holder (None: nobody, or Redis is away)."""
        value = await self.link.call(lambda r: r.get(self.key), None)
        return None if value is None else value.decode()

    # -- keeping --------------------------------------------------------------------------------

    def start(self) -> None:
        """Renew every ttl/3 until release."""
        self._activate()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._renew_forever(), name="world-lease-renewal")

    async def renew(self) -> str | None:
        """Extend the lease, or take it back when Redis lost it; a lease another holder has is
        a conflict (logged, on_lost told once per loss). KEPT, RETAKEN, the other holder, or
        None (Redis away)."""
        answers = await self.link.call(
            lambda r: r.eval(KEEP, 1, self.key, self.holder, self.ttl_ms), None)
        if answers is None:  # Redis away: taken back when it returns
            return None
        outcome = answers[0].decode()
        if outcome in (KEPT, RETAKEN):
            if outcome == RETAKEN:
                log.warning("event=world_lease_retaken key=%s holder=%s", self.key,
                            self.holder)
            elif self.lost_to is not None:
                log.info("event=world_lease_regained key=%s holder=%s", self.key, self.holder)
            self.lost_to = None
            return outcome
        log.error("event=world_lease_conflict holder=%s key=%s ours=%s hint=%r", outcome,
                  self.key, self.holder, "another world holds this game: two worlds run")
        if self.lost_to != outcome:
            self.lost_to = outcome
            result = self.on_lost(outcome)
            if inspect.isawaitable(result):
                await result
        return outcome

    def _activate(self) -> None:
        """Held (or meant to be, Redis away) until release: Redis coming back renews."""
        self._active = True
        if self._renew_on_up not in self.link.on_up:
            self.link.on_up.append(self._renew_on_up)

    async def _renew_on_up(self) -> None:
        """Redis is back, maybe empty: take the lease back at once."""
        if self._active:
            await self.renew()

    async def _renew_forever(self) -> None:
        # until released: a cancellation that a Redis call's own timeout swallowed (Python
        # 3.11's asyncio.timeout can) still ends the loop within one period
        while self._active:
            await asyncio.sleep(self.renewal_seconds)
            if not self._active:
                break
            try:
                await self.renew()
            except Exception:
                log.exception("event=world_lease_renewal_failed key=%s", self.key)
