"""The game tick: one combat round, monsters' aggression, respawns and healing, zone resets and
characters' regeneration, in that order. Called by the server every MUD_TICK_INTERVAL."""

from __future__ import annotations

import logging

from mud.game.abilities import regenerate_all
from mud.game.fighting import aggression, reset_zone, respawn
from mud.game.rounds import combat_round
from mud.game.state import Game

log = logging.getLogger("mud.clock")


class Clock:
    def __init__(self, game: Game, now: float) -> None:
        self.game = game
        self.next_reset = {zone.id: now + zone.reset for zone in game.world.zones.values()}

    def tick(self, now: float) -> None:
        game = self.game
        combat_round(game, now)
        aggression(game)
        respawn(game, now)
        for zone_id, due in self.next_reset.items():
            if now >= due:
                self.next_reset[zone_id] = now + game.world.zones[zone_id].reset
                returned = reset_zone(game, zone_id)
                log.info("event=zone_reset zone=%s items_returned=%d", zone_id, returned)
        regenerate_all(game.present(), game.world.essences, now)
