"""Staff operations: what wizards (in the game) and the operator (on the console) do to the
game as a whole, written once. Each operation parses and validates its arguments, acts, audits
and returns a Result; the wizard command and the console command of its name are thin front
ends over it, with one syntax and one wording.

    base       Actor, Result, Operation; the one audit row (record) and runner (perform)
    staff      Staff: what operations act on, built and started by the server
    bans       ban, unban, bans; enforcing a ban on every process
    kick       kick; disconnecting a player (saved, as on quit)
    roles      promote, demote
    wizlock    wizlock and its state, shared by every process
    shutdown   shutdown and the planned shutdown's countdown
    broadcast  broadcast
    world      reload world
    reboot     reboot: a new world process, every connection kept
"""

from mud.ops import bans, broadcast, kick, reboot, roles, shutdown, wizlock, world
from mud.ops.base import Operation

OPERATIONS: tuple[Operation, ...] = (
    kick.kick, broadcast.broadcast, shutdown.shutdown, reboot.reboot, world.reload, roles.promote,
    roles.demote, wizlock.wizlock, bans.ban, bans.unban, bans.bans)

__all__ = ["OPERATIONS"]
