"""The GMCP feed of one session: what its client is told about the character and where it is.
Nothing is pushed from inside commands: each update compares what the client was last told with
the character as it is now (after every output flush and every game tick), so a burst of changes
goes out as one message. The network layer (mud/net/gmcp.py) knows what the client supports."""

from __future__ import annotations

import zlib
from typing import Any

from mud.game.model import Character
from mud.game.state import Game, Player
from mud.net.gmcp import GmcpLink
from mud.net.telnet import TelnetConnection
from mud.text import upper_first

INVENTORY = "inv"


def room_number(room_id: str) -> int:
    """A stable positive integer for a room id, as Mudlet's mapper needs: the same for the same
    id across restarts and world edits."""
    return zlib.crc32(room_id.encode("utf-8")) & 0x7FFFFFFF or 1


class GmcpFeed:
    def __init__(self, conn: TelnetConnection, game: Game, player: Player) -> None:
        self.link = GmcpLink(conn)
        self.game = game
        self.player = player
        self._items: dict[str, dict[str, Any]] | None = None  # stack id -> what was sent
        conn.on_gmcp = self.received

    def received(self, package: str, data: Any) -> None:
        if self.link.received(package, data):
            if not self.link.wants("Char.Items"):
                self._items = None
        elif package.lower() == "char.items.inv":  # a client asking for the whole inventory
            self._items = None
        else:
            return
        self.update()

    def update(self) -> None:
        """Tell the client what changed since it was last told."""
        ch = self.player.character
        if ch is None or not self.link.active:
            return
        send = self.link.send_changed
        send("Char.Name", {"name": ch.name, "fullname": ch.name})
        send("Char.Vitals", {
            "hp": ch.health, "maxhp": ch.max_health, "mp": ch.mana, "maxmp": ch.max_mana,
            "sp": ch.stamina, "maxsp": ch.max_stamina})
        send("Char.Status", {
            "name": ch.name, "rank": ch.rank, "power": ch.power, "speed": ch.speed,
            "spirit": ch.spirit, "recovery": ch.recovery, "essences": len(ch.essences),
            "resting": ch.resting})
        self._update_room(ch)
        self._update_items(ch)

    def _update_room(self, ch: Character) -> None:
        room = self.game.rooms.get(ch.room_id or "")
        if room is None:
            return
        template = room.template
        zone = self.game.world.zones.get(template.zone)
        self.link.send_changed("Room.Info", {
            "num": room_number(template.id), "id": template.id, "name": template.name,
            "area": zone.name if zone else template.zone, "environment": template.zone,
            "exits": {direction: room_number(target)
                      for direction, target in template.exits.items()}})

    def _update_items(self, ch: Character) -> None:
        if not self.link.wants("Char.Items"):
            return
        now = {str(row.id): {"id": str(row.id),
                             "name": upper_first(self.game.label(row.item_id, row.quantity)),
                             "quantity": row.quantity}
               for row in ch.carried}
        before, self._items = self._items, now
        send = self.link.send
        if before is None:
            send("Char.Items.Inv", {"location": INVENTORY, "items": list(now.values())})
            return
        for key, item in before.items():
            if now.get(key) != item:
                send("Char.Items.Remove", {"location": INVENTORY, "item": item})
        for key, item in now.items():
            if before.get(key) != item:
                send("Char.Items.Add", {"location": INVENTORY, "item": item})

    def channel(self, channel: str, talker: str, text: str) -> None:
        """A channel line the player hears."""
        self.link.send("Comm.Channel.Text", {"channel": channel, "talker": talker,
                                             "text": f"[{channel}] {talker}: {text}"})
