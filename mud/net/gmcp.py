"""GMCP (telnet option 201) on one connection: the client's name, the packages it says it
supports, and sending it only those. What the client is told about the game is decided above the
network layer, by the feed (mud/feed.py)."""

from __future__ import annotations

import logging
import re
from typing import Any

from mud.net.telnet import TelnetConnection

log = logging.getLogger("mud.net")

MAX_SUPPORTS = 64  # entries of one Core.Supports message looked at
MAX_SUPPORTED = 32  # packages one session may support: a client names a dozen or so
# "Package.Name" or "Package.Name 1": a dotted name, then an optional version number
SUPPORTS_ENTRY = re.compile(r"([A-Za-z][\w-]{0,30}(?:\.[A-Za-z][\w-]{0,30}){0,3})(?: (\d{1,4}))?",
                            re.ASCII)


def parse_supports(entries: list[Any]) -> list[tuple[str, int]]:
    """The well-formed entries of a Core.Supports message (at most MAX_SUPPORTS looked at) as
    (package in lower case, version); a version left out is 1."""
    found = []
    for entry in entries[:MAX_SUPPORTS]:
        match = SUPPORTS_ENTRY.fullmatch(entry.strip()) if isinstance(entry, str) else None
        if match:
            found.append((match[1].lower(), int(match[2] or 1)))
    return found


class GmcpLink:
    """What the client says of itself (Core.Hello, Core.Supports.*) and what it is sent: only
    packages it supports, and with send_changed only data that differs from what that package
    was last sent."""

    def __init__(self, conn: TelnetConnection) -> None:
        self.conn = conn
        self.client = ""  # from Core.Hello
        self.supports: dict[str, int] = {}  # package (lower case) -> version
        self._full_logged = False  # the cap on supports was reached (logged once)
        self._sent: dict[str, Any] = {}  # package -> the data last sent

    @property
    def active(self) -> bool:
        """Whether the client accepted GMCP and named packages it supports."""
        return bool(self.supports) and self.conn.gmcp

    def received(self, package: str, data: Any) -> bool:
        """Take a Core message the link answers itself; whether it was one (what the client
        wants told may then have changed)."""
        name = package.lower()
        if name == "core.hello" and isinstance(data, dict):
            self.client = str(data.get("client", ""))[:40]
            log.info("event=gmcp_hello client=%r version=%r", self.client,
                     str(data.get("version", ""))[:20])
        elif name in ("core.supports.set", "core.supports.add", "core.supports.remove") \
                and isinstance(data, list):
            self._supports(name.rsplit(".", 1)[1], data)
        else:
            return False
        return True

    def _supports(self, verb: str, entries: list[Any]) -> None:
        """Core.Supports.Set, .Add or .Remove. Malformed entries are ignored, and so are new
        packages past MAX_SUPPORTED. What was sent for a package the client drops is forgotten,
        so that it is sent again in full should the client take the package back."""
        if verb == "set":
            self.supports.clear()
        for name, version in parse_supports(entries):
            if verb == "remove":
                self.supports.pop(name, None)
            elif name in self.supports or len(self.supports) < MAX_SUPPORTED:
                self.supports[name] = version
            elif not self._full_logged:
                self._full_logged = True
                log.info("event=gmcp_supports_full address=%s cap=%d ignored=%r",
                         self.conn.address, MAX_SUPPORTED, name)
        self._sent = {package: data for package, data in self._sent.items()
                      if self.wants(package)}

    def wants(self, package: str) -> bool:
        """Whether the client supports package (or a package above it: Char covers
        Char.Vitals)."""
        parts = package.lower().split(".")
        return any(".".join(parts[:i]) in self.supports for i in range(1, len(parts) + 1))

    def send(self, package: str, data: Any) -> None:
        if self.wants(package):
            self.conn.send_gmcp(package, data)

    def send_changed(self, package: str, data: Any) -> None:
        if self.wants(package) and self._sent.get(package) != data:
            self._sent[package] = data
            self.conn.send_gmcp(package, data)
