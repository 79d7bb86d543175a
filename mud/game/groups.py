"""Playing together: groups (a leader invites, the invited accept, anyone leaves) and following.
Both live in memory for as long as the members play; logging out leaves the group and stops
following. A group shares kills: everyone of it standing in the room when a monster dies gets
the kill's quest credit, as those who fought it do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from mud.game.errors import GameError
from mud.game.model import Character

GROUP_MAX = 8


@dataclass(eq=False)
class Group:
    leader: Character
    members: list[Character]  # the leader first, then in the order they joined
    invited: set[uuid.UUID] = field(default_factory=set)


class Groups:
    """Every group in the game, by member."""

    def __init__(self) -> None:
        self._of: dict[uuid.UUID, Group] = {}

    def of(self, ch: Character) -> Group | None:
        return self._of.get(ch.id)

    def invite(self, leader: Character, ch: Character) -> Group:
        """leader asks ch to join its group (made now if leader has none)."""
        group = self._of.get(leader.id)
        if group is not None and group.leader is not leader:
            raise GameError("not_leader", f"Only {group.leader.name} invites to this group.")
        if ch is leader:
            raise GameError("self", "You are always in your own company.")
        if ch.id in self._of:
            raise GameError("grouped", f"{ch.name} is in a group already.")
        if group is None:
            group = self._of[leader.id] = Group(leader, [leader])
        if len(group.members) + len(group.invited) >= GROUP_MAX:
            raise GameError("full", f"A group is at most {GROUP_MAX}.")
        group.invited.add(ch.id)
        return group

    def invitations(self, ch: Character) -> list[Group]:
        return [group for group in {id(g): g for g in self._of.values()}.values()
                if ch.id in group.invited]

    def accept(self, ch: Character, leader: Character | None = None) -> Group:
        """ch joins the group that invited it (leader's, when several did)."""
        if ch.id in self._of:
            raise GameError("grouped", "You are in a group already. Leave it first.")
        offers = [g for g in self.invitations(ch) if leader is None or g.leader is leader]
        if not offers:
            raise GameError("not_invited", "No one has invited you to a group."
                            if leader is None else f"{leader.name} has not invited you.")
        if len(offers) > 1:
            raise GameError("which", "Several have invited you: group accept <leader>.")
        group = offers[0]
        group.invited.discard(ch.id)
        group.members.append(ch)
        self._of[ch.id] = group
        return group

    def leave(self, ch: Character) -> Group | None:
        """Take ch out of its group (and its invitations); the group it left, if any. A leader
        who leaves hands the group to the next member; a group of one is no group."""
        for group in self.invitations(ch):
            group.invited.discard(ch.id)
        group = self._of.pop(ch.id, None)
        if group is None:
            return None
        group.members.remove(ch)
        if group.leader is ch and group.members:
            group.leader = group.members[0]
        if len(group.members) == 1 and not group.invited:
            self._of.pop(group.members[0].id, None)
        return group

    def mates_in(self, ch: Character, room_id: str | None) -> list[Character]:
        """The other members of ch's group standing in room_id."""
        group = self._of.get(ch.id)
        return [] if group is None else [m for m in group.members
                                         if m is not ch and m.room_id == room_id]
