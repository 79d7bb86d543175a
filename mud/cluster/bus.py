"""The bus between the server processes of one game, over Redis: messages to every process or to
one, and who is online where.

Keys (under the configured prefix): `<prefix>:bus` (every process listens), `<prefix>:to:<id>`
(one process), `<prefix>:online` (hash: lower-case name -> where the character plays),
`<prefix>:alive:<id>` (a process's heartbeat, with expiry).
While Redis is away every call returns at once with a fallback and the game goes on locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from mud.cluster.redis import RedisLink
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.bus")

HEARTBEAT = 5.0  # seconds between a process's heartbeats
ALIVE_FOR = 15  # seconds a heartbeat vouches for the process

Handler = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Presence:
    """A character online somewhere in the game."""

    name: str
    rank: str
    process: str
    zone: str
    linkdead: bool = False
    hidden: bool = False  # an invisible wizard: listed to wizards alone


class Bus:
    def __init__(self, link: RedisLink, prefix: str, process_id: str) -> None:
        self.link = link
        self.prefix = prefix
        self.process_id = process_id
        self.handlers: dict[str, Handler] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.local: Callable[[], list[Presence]] = list  # this process's players, to re-announce
        link.on_up.append(self._announce_all)

    # -- keys -----------------------------------------------------------------------------------

    @property
    def everyone(self) -> str:
        return f"{self.prefix}:bus"

    def inbox(self, process_id: str) -> str:
        return f"{self.prefix}:to:{process_id}"

    @property
    def online_key(self) -> str:
        return f"{self.prefix}:online"

    @property
    def available(self) -> bool:
        return self.link.available

    # -- running --------------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._listen(), name="bus-listen"),
                       asyncio.create_task(self._heartbeat(), name="bus-heartbeat")]

    async def stop(self) -> None:
        await cancel_and_wait(*self._tasks)
        await self.link.call(lambda r: r.delete(f"{self.prefix}:alive:{self.process_id}"), 0)

    async def _heartbeat(self) -> None:
        while True:
            await self.link.call(lambda r: r.set(f"{self.prefix}:alive:{self.process_id}",
                                                 str(time.time()), ex=ALIVE_FOR), None)
            await asyncio.sleep(HEARTBEAT)

    async def _listen(self) -> None:
        """Deliver bus messages to their handlers; resubscribe whenever Redis comes back."""
        while True:
            if not self.link.available:
                await asyncio.sleep(0.2)
                continue
            pubsub = self.link.client.pubsub()
            try:
                await pubsub.subscribe(self.everyone, self.inbox(self.process_id))
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._dispatch(message["data"])
            except (RedisError, OSError) as exc:
                self.link.lost(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _dispatch(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            kind = message["kind"]
        except (ValueError, KeyError, TypeError):
            log.warning("event=bus_bad_message size=%d", len(raw))
            return
        if message.get("from") == self.process_id and not message.get("loopback"):
            return  # a process delivers its own messages locally when it sends them
        handler = self.handlers.get(kind)
        if handler is None:
            return
        try:
            handler(message)
        except Exception:
            log.exception("event=bus_handler_failed kind=%s", kind)

    # -- sending --------------------------------------------------------------------------------

    async def publish(self, kind: str, to: str | None = None, **data: Any) -> bool:
        """Send a message to every process (or to the process `to`); False if Redis is away."""
        payload = json.dumps({"kind": kind, "from": self.process_id, **data})
        channel = self.everyone if to is None else self.inbox(to)
        return await self.link.call(lambda r: r.publish(channel, payload), None) is not None

    # -- who is where ---------------------------------------------------------------------------

    async def announce(self, who: Presence) -> None:
        await self.link.call(lambda r: r.hset(self.online_key, who.name.lower(),
                                              json.dumps(who.__dict__)), None)

    async def depart(self, name: str, process_id: str | None = None) -> None:
        """Forget name's presence, if it is still the one this process announced."""
        owner = process_id or self.process_id

        async def forget(r: Any) -> None:
            raw = await r.hget(self.online_key, name.lower())
            if raw and json.loads(raw).get("process") == owner:
                await r.hdel(self.online_key, name.lower())

        await self.link.call(forget, None)

    async def _announce_all(self) -> None:
        """Redis is back: what this process knows of its players is the truth again."""
        for who in self.local():
            await self.announce(who)

    async def online(self) -> list[Presence] | None:
        """Everyone online in every living process; None while Redis is away."""

        async def read(r: Any) -> list[Presence]:
            entries = [Presence(**json.loads(v)) for v in (await r.hgetall(self.online_key))
                       .values()]
            processes = sorted({e.process for e in entries})
            alive = await r.mget([f"{self.prefix}:alive:{p}" for p in processes]) \
                if processes else []
            living = {p for p, beat in zip(processes, alive, strict=True) if beat}
            return [e for e in entries if e.process in living]

        return await self.link.call(read, None)

    async def others_alive(self) -> bool:
        """Whether another process of the game is up (True while Redis is away: unknown)."""

        async def scan(r: Any) -> bool:
            async for key in r.scan_iter(match=f"{self.prefix}:alive:*", count=100):
                if key.decode().rsplit(":", 1)[-1] != self.process_id:
                    return True
            return False

        return await self.link.call(scan, True)

    async def find(self, name: str) -> Presence | None:
        """Where a character plays, if anywhere (None also while Redis is away): one entry
        and its process's heartbeat, not the whole list."""

        async def read(r: Any) -> Presence | None:
            raw = await r.hget(self.online_key, name.lower())
            if raw is None:
                return None
            who = Presence(**json.loads(raw))
            return who if await r.exists(f"{self.prefix}:alive:{who.process}") else None

        return await self.link.call(read, None)
