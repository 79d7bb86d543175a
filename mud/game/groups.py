"""Playing together: groups (a leader invites, the invited accept, anyone leaves) and following.
Both are kept by character id, for as long as the members play: logging out leaves the group
and stops following, and a hot reboot carries them over (mud.game.snapshot), the characters
coming back to them as they attach again. A group shares kills: everyone of it standing in the
room when a monster dies gets the kill's quest credit, as those who fought it do."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mud.game.errors import GameError
from mud.game.model import Character

GROUP_MAX = 8


@dataclass(eq=False)
class Group:
    leader: uuid.UUID
    members: list[uuid.UUID]  # the leader first, then in the order they joined
    invited: set[uuid.UUID] = field(default_factory=set)


class Groups:
    """Every group in the game, by member, and who follows whom. characters is the game's own
    table of characters in memory, by id, through which ids are read back as characters."""

    def __init__(self, characters: Mapping[uuid.UUID, Character]) -> None:
        self._characters = characters
        self._of: dict[uuid.UUID, Group] = {}
        self.following: dict[uuid.UUID, uuid.UUID] = {}  # follower -> whom it follows

    # -- reading ids back -----------------------------------------------------------------------

    def character(self, character_id: uuid.UUID | None) -> Character | None:
        return None if character_id is None else self._characters.get(character_id)

    def members(self, group: Group) -> list[Character]:
        """The group's members in memory, the leader first."""
        return [c for c in map(self._characters.get, group.members) if c is not None]

    # -- groups ---------------------------------------------------------------------------------

    def of(self, ch: Character) -> Group | None:
        return self._of.get(ch.id)

    def invite(self, leader: Character, ch: Character) -> Group:
        """leader asks ch to join its group (made now if leader has none)."""
        group = self._of.get(leader.id)
        if group is not None and group.leader != leader.id:
            head = self.character(group.leader)
            raise GameError("not_leader", f"Only {head.name if head else 'the leader'} "
                                          "invites to this group.")
        if ch is leader:
            raise GameError("self", "You are always in your own company.")
        if ch.id in self._of:
            raise GameError("grouped", f"{ch.name} is in a group already.")
        if group is None:
            group = self._of[leader.id] = Group(leader.id, [leader.id])
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
        offers = [g for g in self.invitations(ch) if leader is None or g.leader == leader.id]
        if not offers:
            raise GameError("not_invited", "No one has invited you to a group."
                            if leader is None else f"{leader.name} has not invited you.")
        if len(offers) > 1:
            raise GameError("which", "Several have invited you: group accept <leader>.")
        group = offers[0]
        group.invited.discard(ch.id)
        group.members.append(ch.id)
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
        group.members.remove(ch.id)
        if group.leader == ch.id and group.members:
            group.leader = group.members[0]
        if len(group.members) == 1 and not group.invited:
            self._of.pop(group.members[0], None)
        return group

    def mates_in(self, ch: Character, room_id: str | None) -> list[Character]:
        """The other members of ch's group standing in room_id."""
        group = self._of.get(ch.id)
        return [] if group is None else [m for m in self.members(group)
                                         if m is not ch and m.room_id == room_id]

    # -- following ------------------------------------------------------------------------------

    def followed_by(self, ch: Character) -> Character | None:
        """Whom ch follows, when that character is in memory."""
        return self.character(self.following.get(ch.id))

    def followers_in(self, ch: Character, occupants: list[Character]) -> list[Character]:
        """Those of occupants who follow ch."""
        return [c for c in occupants if self.following.get(c.id) == ch.id]

    # -- a hot reboot ---------------------------------------------------------------------------

    def taken(self) -> dict[str, Any]:
        """The groups and who follows whom, as plain data (mud.game.snapshot)."""
        groups = {id(g): g for g in self._of.values()}.values()
        return {"groups": [{"leader": str(g.leader), "members": [str(m) for m in g.members],
                            "invited": sorted(str(i) for i in g.invited)} for g in groups],
                "following": {str(f): str(leader) for f, leader in self.following.items()}}

    def restore(self, data: Any) -> list[str]:
        """Put back what taken gave; what is malformed is skipped and described."""
        try:
            for entry in data["groups"]:
                group = Group(uuid.UUID(entry["leader"]), [uuid.UUID(m) for m in entry["members"]],
                              {uuid.UUID(i) for i in entry["invited"]})
                for member in group.members:
                    self._of[member] = group
            self.following = {uuid.UUID(f): uuid.UUID(leader)
                              for f, leader in data["following"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._of, self.following = {}, {}
            return [f"groups and following: malformed ({exc!r:.60}), none restored"]
        return []
