"""What the gateway's web listener tells monitoring: /metrics in Prometheus's text format (this
gateway's connections and the figures its world sends every 2 s) and /health (whether the
world, the database and Redis answer)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from psycopg import Error as DatabaseError

if TYPE_CHECKING:
    from mud.gateway.server import Gateway

HEALTH_TIMEOUT = 2.0  # seconds the database has to answer /health
KINDS = ("telnet", "tls", "web")
Sample = tuple[dict[str, str], float]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _family(name: str, kind: str, text: str, samples: list[Sample]) -> str:
    lines = [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{label}}} {_number(value)}" if label
                     else f"{name} {_number(value)}")
    return "\n".join(lines)


def exposition(gateway: Gateway) -> str:
    """Every figure, in the Prometheus text format (version 0.0.4)."""
    figures = gateway.figures()
    by_kind = figures["kinds"]
    world: dict[str, Any] = gateway.world_figures if gateway.link is not None else {}
    lag_avg, lag_max = gateway.lag.peek()
    families = [
        ("mud_connections", "gauge", "Player connections open on this gateway, by kind.",
         [({"kind": kind}, by_kind.get(kind, 0)) for kind in KINDS]),
        ("mud_connections_logging_in", "gauge", "Connections not yet playing a character.",
         [({}, figures["logging_in"])]),
        ("mud_connections_waiting", "gauge",
         "Players logged in and waiting for the world (it is starting or rebooting).",
         [({}, figures["waiting"])]),
        ("mud_world_up", "gauge", "1 while this gateway is linked to the world.",
         [({}, 1 if gateway.link is not None else 0)]),
        ("mud_world_links_total", "counter", "Times a world has linked to this gateway.",
         [({}, gateway.links_made)]),
        ("mud_world_reboots_total", "counter",
         "Reboots of the world this gateway has seen (connections kept).",
         [({}, gateway.reboots)]),
        ("mud_event_loop_lag_seconds", "gauge",
         "How late the event loop wakes a sleeping task, since the last stats log line.",
         [({"process": "gateway", "stat": "avg"}, lag_avg / 1000),
          ({"process": "gateway", "stat": "max"}, lag_max / 1000)]
         + ([({"process": "world", "stat": "avg"}, world["lag_ms_avg"] / 1000),
             ({"process": "world", "stat": "max"}, world["lag_ms_max"] / 1000)]
            if "lag_ms_avg" in world else [])),
        ("mud_resident_memory_bytes", "gauge", "Resident memory of each process.",
         [({"process": "gateway"}, figures["rss_kib"] * 1024)]
         + ([({"process": "world"}, world["rss_kib"] * 1024)] if "rss_kib" in world else [])),
    ]
    if world:
        families += [
            ("mud_players", "gauge", "Characters in the game.", [({}, world["players"])]),
            ("mud_commands_total", "counter", "Commands the world has run since it started.",
             [({}, world["commands"])]),
            ("mud_commands_per_second", "gauge",
             "Commands per second over the world's last two status reports.",
             [({}, gateway.commands_per_second)]),
            ("mud_saver_flushes_total", "counter", "Write-behind flushes since the world started.",
             [({}, world["saver_flushes"])]),
            ("mud_saver_failures_total", "counter",
             "Write-behind flushes that failed (retried) since the world started.",
             [({}, world["saver_failures"])]),
            ("mud_saver_dirty_characters", "gauge", "Characters changed and not yet saved.",
             [({}, world["saver_dirty"])]),
            ("mud_saver_last_flush_seconds", "gauge", "How long the last flush took.",
             [({}, world["saver_last_ms"] / 1000)]),
            ("mud_world_uptime_seconds", "gauge", "Seconds since the world started.",
             [({}, round(time.time() - world["started_at"]))]),
        ]
    return "\n".join(_family(*family) for family in families) + "\n"


async def health(gateway: Gateway) -> dict[str, str]:
    """Whether the world link, the database and Redis are up: each "up" or what is wrong."""
    checks = {"world": "up" if gateway.link is not None else "not linked"}
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT), gateway.pool.connection() as conn:
            await conn.execute("SELECT 1")
        checks["database"] = "up"
    except (DatabaseError, OSError, TimeoutError) as exc:
        checks["database"] = f"down: {str(exc)[:200] or type(exc).__name__}"
    checks["redis"] = "up" if await gateway.redis.call(_ping, False) else "down"
    return checks


async def _ping(client: Any) -> bool:
    return bool(await client.ping())
