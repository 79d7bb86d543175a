"""Failed logins and new accounts counted in Redis, so the limits hold across every process of
the game; in this process's memory while Redis is away."""

from __future__ import annotations

from typing import Any

from mud.auth import LoginThrottle, SignupThrottle
from mud.cluster.redis import RedisLink


async def _seconds_refused(link: RedisLink, limits: list[tuple[str, int]]) -> float | None:
    """Seconds until every count at or past its limit expires (0: none is); None when Redis is
    away."""

    async def read(r: Any) -> float:
        async with r.pipeline(transaction=False) as pipe:
            for key, _ in limits:
                pipe.get(key).pttl(key)
            replies = await pipe.execute()
        waits = [pttl / 1000 for (_, limit), count, pttl
                 in zip(limits, replies[::2], replies[1::2], strict=True)
                 if count is not None and int(count) >= limit and pttl > 0]
        return max(waits, default=0.0)

    return await link.call(read, None)


class SharedLoginThrottle:
    """The same rules as LoginThrottle (which it falls back to), with the counts in Redis:
    `<prefix>:loginfail:account:<name>` and `...:address:<ip>`, each expiring `lockout`
    seconds after its latest failure."""

    def __init__(self, link: RedisLink, prefix: str, local: LoginThrottle) -> None:
        self.link = link
        self.prefix = prefix
        self.local = local

    def _keys(self, account: str, address: str) -> list[tuple[str, int]]:
        return [(f"{self.prefix}:loginfail:account:{account.lower()}",
                 LoginThrottle.ACCOUNT_LIMIT),
                (f"{self.prefix}:loginfail:address:{address}", LoginThrottle.ADDRESS_LIMIT)]

    async def refused_for(self, account: str, address: str) -> float:
        """Seconds until this account or address may try again (0: now)."""
        shared = await _seconds_refused(self.link, self._keys(account, address))
        return self.local.refused_for(account, address) if shared is None else shared

    async def failed(self, account: str, address: str) -> float:
        """Record a failure; returns the delay to wait before answering."""
        keys = self._keys(account, address)
        lockout_ms = int(self.local.lockout * 1000)

        async def count(r: Any) -> list[int]:
            async with r.pipeline(transaction=True) as pipe:
                for key, _ in keys:
                    pipe.incr(key).pexpire(key, lockout_ms)
                replies = await pipe.execute()
            return [int(n) for n in replies[::2]]

        counts = await self.link.call(count, None)
        if counts is None:
            return self.local.failed(account, address)
        return min(self.local.delay_per_failure * (max(counts) - 1), 5.0)

    async def succeeded(self, account: str) -> None:
        self.local.succeeded(account)
        key = f"{self.prefix}:loginfail:account:{account.lower()}"
        await self.link.call(lambda r: r.delete(key), None)


class SharedSignupThrottle:
    """The same rule as SignupThrottle (which it falls back to), with the count in Redis:
    `<prefix>:signups:<ip>`, expiring `window` seconds after the address's first account."""

    def __init__(self, link: RedisLink, prefix: str, local: SignupThrottle) -> None:
        self.link = link
        self.prefix = prefix
        self.local = local

    def _key(self, address: str) -> str:
        return f"{self.prefix}:signups:{address}"

    async def refused_for(self, address: str) -> float:
        """Seconds until address may make an account (0: now)."""
        if not self.local.limit:
            return 0.0
        shared = await _seconds_refused(self.link, [(self._key(address), self.local.limit)])
        return self.local.refused_for(address) if shared is None else shared

    async def admit(self, address: str) -> float:
        """Count an account about to be made from address, if it may be (0 returned); else the
        seconds until it may. Counting first and comparing after is one atomic step, so
        simultaneous creates from one address cannot all slip under the limit."""
        if not self.local.limit:
            return 0.0
        key, window_ms = self._key(address), int(self.local.window * 1000)

        async def count(r: Any) -> tuple[int, int]:
            async with r.pipeline(transaction=True) as pipe:
                pipe.set(key, 0, px=window_ms, nx=True).incr(key).pttl(key)
                _, counted, pttl = await pipe.execute()
            return int(counted), int(pttl)

        counted = await self.link.call(count, None)
        if counted is None:
            return self.local.admit(address)
        number, pttl = counted
        return max(pttl, 1) / 1000 if number > self.local.limit else 0.0
