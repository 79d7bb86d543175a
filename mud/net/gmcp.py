"""GMCP (telnet option 201) for one session: what the client says it supports, and what it is
sent. Nothing is pushed from inside commands: each update compares what the client was last
told with the character as it is now (after every output flush and every game tick), so a burst of
changes goes out as one message."""

from __future__ import annotations

import logging
import re
import zlib
from typing import TYPE_CHECKING, Any

from mud.text import upper_first

if TYPE_CHECKING:
    from mud.game.model import Character
    from mud.game.state import Game
    from mud.session import Session

log = logging.getLogger("mud.net")

MAX_SUPPORTS = 64  # entries of one Core.Supports message looked at
MAX_SUPPORTED = 32  # packages one session may support: a client names a dozen or so
# "Package.Name" or "Package.Name 1": a dotted name, then an optional version number
SUPPORTS_ENTRY = re.compile(r"([A-Za-z][\w-]{0,30}(?:\.[A-Za-z][\w-]{0,30}){0,3})(?: (\d{1,4}))?",
                            re.ASCII)
INVENTORY = "inv"


def parse_supports(entries: list[Any]) -> list[tuple[str, int]]:
    """The well-formed entries of a Core.Supports message (at most MAX_SUPPORTS looked at) as
    (package in lower case, version); a version left out is 1."""
    found = []
    for entry in entries[:MAX_SUPPORTS]:
        match = SUPPORTS_ENTRY.fullmatch(entry.strip()) if isinstance(entry, str) else None
        if match:
            found.append((match[1].lower(), int(match[2] or 1)))
    return found


def room_number(room_id: str) -> int:
    """A stable positive integer for a room id, as Mudlet's mapper needs: the same for the same
    id across restarts and world edits."""
    return zlib.crc32(room_id.encode("utf-8")) & 0x7FFFFFFF or 1


class GmcpFeed:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.client = ""  # from Core.Hello
        self.supports: dict[str, int] = {}  # package (lower case) -> version
        self._full_logged = False  # the cap on supports was reached (logged once)
        self._sent: dict[str, Any] = {}  # package -> the data last sent
        self._items: dict[str, dict[str, Any]] | None = None  # stack id -> what was sent
        session.conn.on_gmcp = self.received

    # -- from the client ------------------------------------------------------------------------

    def received(self, package: str, data: Any) -> None:
        name = package.lower()
        if name == "core.hello" and isinstance(data, dict):
            self.client = str(data.get("client", ""))[:40]
            log.info("event=gmcp_hello client=%r version=%r", self.client,
                     str(data.get("version", ""))[:20])
        elif name in ("core.supports.set", "core.supports.add", "core.supports.remove") \
                and isinstance(data, list):
            self._supports(name.rsplit(".", 1)[1], data)
        elif name == "char.items.inv":  # a client asking for the whole inventory again
            self._items = None
        else:
            return
        self.update()

    def _supports(self, verb: str, entries: list[Any]) -> None:
        """Core.Supports.Set, .Add or .Remove. Malformed entries are ignored, and so are new
        packages past MAX_SUPPORTED. Only packages newly supported are sent their state (by the
        update that follows): what was sent for one the client drops is forgotten."""
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
                         self.session.conn.address, MAX_SUPPORTED, name)
        self._sent = {package: data for package, data in self._sent.items()
                      if self.wants(package)}
        if not self.wants("Char.Items"):
            self._items = None

    def wants(self, package: str) -> bool:
        """Whether the client supports package (or a package above it: Char covers
        Char.Vitals)."""
        parts = package.lower().split(".")
        return any(".".join(parts[:i]) in self.supports for i in range(1, len(parts) + 1))

    # -- to the client --------------------------------------------------------------------------

    def _send(self, package: str, data: Any) -> None:
        if self.wants(package):
            self.session.conn.send_gmcp(package, data)

    def _send_changed(self, package: str, data: Any) -> None:
        if self.wants(package) and self._sent.get(package) != data:
            self._sent[package] = data
            self.session.conn.send_gmcp(package, data)

    def update(self) -> None:
        """Tell the client what changed since it was last told."""
        ch = self.session.character
        if ch is None or not self.supports or not self.session.conn.gmcp:
            return
        game = self.session.server.game
        self._send_changed("Char.Name", {"name": ch.name, "fullname": ch.name})
        self._send_changed("Char.Vitals", {
            "hp": ch.health, "maxhp": ch.max_health, "mp": ch.mana, "maxmp": ch.max_mana,
            "sp": ch.stamina, "maxsp": ch.max_stamina})
        self._send_changed("Char.Status", {
            "name": ch.name, "rank": ch.rank, "power": ch.power, "speed": ch.speed,
            "spirit": ch.spirit, "recovery": ch.recovery, "essences": len(ch.essences),
            "resting": ch.resting})
        self._update_room(ch, game)
        self._update_items(ch, game)

    def _update_room(self, ch: Character, game: Game) -> None:
        room = game.rooms.get(ch.room_id or "")
        if room is None:
            return
        template = room.template
        zone = game.world.zones.get(template.zone)
        self._send_changed("Room.Info", {
            "num": room_number(template.id), "id": template.id, "name": template.name,
            "area": zone.name if zone else template.zone, "environment": template.zone,
            "exits": {direction: room_number(target)
                      for direction, target in template.exits.items()}})

    def _update_items(self, ch: Character, game: Game) -> None:
        if not self.wants("Char.Items"):
            return
        now = {str(row.id): {"id": str(row.id), "name": upper_first(game.label(row.item_id,
                                                                             row.quantity)),
                             "quantity": row.quantity}
               for row in ch.carried}
        before, self._items = self._items, now
        if before is None:
            self._send("Char.Items.Inv", {"location": INVENTORY, "items": list(now.values())})
            return
        for key, item in before.items():
            if now.get(key) != item:
                self._send("Char.Items.Remove", {"location": INVENTORY, "item": item})
        for key, item in now.items():
            if before.get(key) != item:
                self._send("Char.Items.Add", {"location": INVENTORY, "item": item})

    def channel(self, channel: str, talker: str, text: str) -> None:
        """A channel line the player hears."""
        self._send("Comm.Channel.Text", {"channel": channel, "talker": talker,
                                         "text": f"[{channel}] {talker}: {text}"})
