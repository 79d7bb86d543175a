"""Failed logins counted in Redis, so the limits hold across every process of the game; in
this process's memory while Redis is away."""

from __future__ import annotations

from typing import Any

from mud.auth import LoginThrottle
from mud.cluster.redis import RedisLink


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
        keys = self._keys(account, address)

        async def read(r: Any) -> float:
            async with r.pipeline(transaction=False) as pipe:
                for key, _ in keys:
                    pipe.get(key).pttl(key)
                replies = await pipe.execute()
            waits = [pttl / 1000 for (_, limit), count, pttl
                     in zip(keys, replies[::2], replies[1::2], strict=True)
                     if count is not None and int(count) >= limit and pttl > 0]
            return max(waits, default=0.0)

        shared = await self.link.call(read, None)
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
