"""The bus between the processes of one game, over Redis: messages to every process or to one
(bans and the wizlock reach the gateways this way), and which processes are up.

Keys (under the configured prefix): `<prefix>:bus` (every process listens), `<prefix>:to:<id>`
(one process), `<prefix>:alive:<id>` (a process's heartbeat, with expiry).
While Redis is away every call returns at once with a fallback and the game goes on locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError

from mud.cluster.redis import RedisLink
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.bus")

HEARTBEAT = 5.0  # seconds between a process's heartbeats
ALIVE_FOR = 15  # seconds a heartbeat vouches for the process

Handler = Callable[[dict[str, Any]], None]


class Bus:
    def __init__(self, link: RedisLink, prefix: str, process_id: str) -> None:
        self.link = link
        self.prefix = prefix
        self.process_id = process_id
        self.handlers: dict[str, Handler] = {}
        # the world's gateways, told over their links (mud.worldlink.LinkServer.broadcast)
        self.to_gateways: Callable[[str, dict[str, Any]], None] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- keys -----------------------------------------------------------------------------------

    @property
    def everyone(self) -> str:
        return f"{self.prefix}:bus"

    def inbox(self, process_id: str) -> str:
        return f"{self.prefix}:to:{process_id}"

    @property
    def available(self) -> bool:
        return self.link.available

    # -- running --------------------------------------------------------------------------------

    def start(self, heartbeat: bool = True) -> None:
        """Listen; heartbeat: also count as a process of the game (a gateway only listens)."""
        self._tasks = [asyncio.create_task(self._listen(), name="bus-listen")]
        if heartbeat:
            self._tasks.append(asyncio.create_task(self._heartbeat(), name="bus-heartbeat"))

    async def stop(self) -> None:
        beating = len(self._tasks) > 1
        await cancel_and_wait(*self._tasks)
        if beating:
            await self.link.call(lambda r: r.delete(f"{self.prefix}:alive:{self.process_id}"),
                                 0)

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
        except ValueError:
            message = None
        if not isinstance(message, dict) or "kind" not in message:
            log.warning("event=bus_bad_message size=%d", len(raw))
            return
        if message.get("from") == self.process_id and not message.get("loopback"):
            return  # a process delivers its own messages locally when it sends them
        self.deliver(message)

    def deliver(self, message: dict[str, Any]) -> None:
        """Hand a message to its handler: one read from Redis, or one that came over the
        world's link. A failing handler is logged; the next message goes on."""
        kind = message.get("kind")
        handler = self.handlers.get(str(kind))
        if handler is None:
            return
        try:
            handler(message)
        except Exception:
            log.exception("event=bus_handler_failed kind=%s", kind)

    # -- sending --------------------------------------------------------------------------------

    def announce(self, kind: str, **data: Any) -> Coroutine[Any, Any, bool]:
        """Tell every process of a change of what keeps players out (bans, the wizlock): the
        world's gateways at once over their links, in order with this turn's output, so a login
        that follows the answer to the change sees it; every process through Redis too (await
        the result: False if Redis is away)."""
        if self.to_gateways is not None:
            self.to_gateways(kind, {"kind": kind, **data})
        return self.publish(kind, **data)

    async def publish(self, kind: str, to: str | None = None, **data: Any) -> bool:
        """Send a message to every process (or to the process `to`); False if Redis is away."""
        payload = json.dumps({"kind": kind, "from": self.process_id, **data})
        channel = self.everyone if to is None else self.inbox(to)
        return await self.link.call(lambda r: r.publish(channel, payload), None) is not None

    # -- who is up ------------------------------------------------------------------------------

    async def others_alive(self) -> bool:
        """Whether another process of the game is up (True while Redis is away: unknown)."""

        async def scan(r: Any) -> bool:
            async for key in r.scan_iter(match=f"{self.prefix}:alive:*", count=100):
                if key.decode().rsplit(":", 1)[-1] != self.process_id:
                    return True
            return False

        return await self.link.call(scan, True)
