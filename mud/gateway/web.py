"""The gateway's web listener (aiohttp): the web client's files, the game over a WebSocket (one
more kind of connection, next to telnet and TLS), /health and /metrics."""

from __future__ import annotations

import asyncio
import html
import ipaddress
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from mud.gateway.metrics import exposition, health
from mud.net.websocket import CLOSE_WAIT, MAX_FRAME, WebConnection

if TYPE_CHECKING:
    from mud.gateway.server import Gateway

log = logging.getLogger("mud.web")

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
HEARTBEAT = 30.0  # seconds between pings: a socket that stops answering is closed
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # a new version of the client is taken at the next load
}


def trusted_proxies(setting: str) -> frozenset[str]:
    """MUD_WEB_TRUSTED_PROXIES as addresses (malformed entries are an operator's error)."""
    found = set()
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        try:
            found.add(str(ipaddress.ip_address(entry)))
        except ValueError as exc:
            raise SystemExit(f"mud: MUD_WEB_TRUSTED_PROXIES: {exc}") from exc
    return frozenset(found)


def client_host(request: web.Request, proxies: frozenset[str]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted reverse proxy, the
    last address X-Forwarded-For names that is not a trusted proxy itself."""
    host = request.remote or "?"
    if host not in proxies:
        return host
    for hop in reversed(request.headers.getall("X-Forwarded-For", [])):
        for entry in reversed(hop.split(",")):
            try:
                address = str(ipaddress.ip_address(entry.strip()))
            except ValueError:
                return host  # a header the proxy did not write: trust none of it
            if address not in proxies:
                return address
    return host


class WebListener:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.proxies = trusted_proxies(gateway.settings.web_trusted_proxies)
        self.files = {path.name: path for path in STATIC.iterdir() if path.is_file()}
        # the page, titled with the game's name
        self.page = (STATIC / "index.html").read_text().replace(
            "<title>MUD</title>", f"<title>{html.escape(gateway.settings.mssp_name)}</title>")
        app = web.Application(client_max_size=MAX_FRAME)
        app.add_routes([web.get("/", self._file), web.get("/ws", self._socket),
                        web.get("/health", self._health), web.get("/metrics", self._metrics),
                        web.get("/{name}", self._file)])
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0)
        self._open: set[WebConnection] = set()

    async def start(self, host: str, port: int) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True, backlog=2048)
        try:
            await site.start()
        except OSError as exc:
            raise SystemExit(f"mud: the web listener cannot use {host}:{port} ({exc.strerror});"
                             " set MUD_WEB_PORT to a free port, or 0 for no web client") from exc

    @property
    def port(self) -> int | None:
        addresses = self._runner.addresses
        return addresses[0][1] if addresses else None

    async def close(self) -> None:
        """Once the sockets have had their goodbyes and their close (CLOSE_WAIT at most), stop
        listening; a socket closed with no close frame would look to its client like a drop."""
        await asyncio.gather(*(conn.finish() for conn in list(self._open)))
        await self._runner.cleanup()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "index.html")
        if name == "index.html":
            return web.Response(text=self.page, content_type="text/html", headers=HEADERS)
        path = self.files.get(name)
        if path is None:
            raise web.HTTPNotFound(text="Not found. The game is at /\n")
        return web.FileResponse(path, headers=HEADERS)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=HEARTBEAT, compress=False,
                                   timeout=CLOSE_WAIT)
        if not ws.can_prepare(request).ok:
            raise web.HTTPBadRequest(text="This address is the game's WebSocket; the client "
                                          "is at /\n")
        await ws.prepare(request)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = peer[1] if isinstance(peer, tuple) else 0
        settings = self.gateway.settings
        conn = WebConnection(ws, client_host(request, self.proxies), port,
                             settings.idle_timeout, settings.input_bytes_rate)
        self._open.add(conn)
        try:
            await conn.greet()
            await self.gateway.serve_connection(conn)
        finally:
            await conn.finish()
            self._open.discard(conn)
        return ws

    async def _health(self, request: web.Request) -> web.StreamResponse:
        checks = await health(self.gateway)
        ok = all(value == "up" for value in checks.values())
        return web.Response(text=json.dumps({"ok": ok, **checks}) + "\n",
                            content_type="application/json", status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=exposition(self.gateway).encode(), headers={
            "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
            "Cache-Control": "no-store"})
