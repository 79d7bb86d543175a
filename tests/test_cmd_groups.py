"""Playing together in memory: following, groups (invite, accept, the list with pools, gtell,
leave, kick) and a kill's quest credit shared by the group standing in the room."""

from __future__ import annotations

import pytest

from mud.game.groups import Groups
from tests.harness import Harness, world_with
from tests.test_gameplay import write_test_world


@pytest.fixture
def arena() -> Harness:
    return Harness(world_with(write_test_world))


async def test_followers_walk_after_their_leader_when_they_can() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    assert "You now follow Alice." in await bob.run("follow alice")
    assert "Bob now follows you." in alice.heard()
    await carol.run("follow bob")
    await carol.run("rest")
    await alice.run("north")
    assert "You follow Alice north." in bob.heard() and "Market Street" in bob.heard()
    assert bob.ch.room_id == "market_street"
    assert "You cannot follow Bob just now." in carol.heard()  # resting
    assert carol.ch.room_id == "village_square"
    assert "You stop following Alice." in await bob.run("follow self")
    await alice.run("south")
    assert bob.ch.room_id == "market_street"
    assert "There is no one called 'alice' here." in await bob.run("follow alice")


async def test_a_group_is_formed_listed_told_and_left() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    assert "No one has invited you to a group." in await bob.run("group accept")
    assert "You invite Bob to your group." in await alice.run("group invite bob")
    assert "Alice invites you to their group. Type 'group accept'." in bob.heard()
    assert "You join the group." in await bob.run("group accept")
    assert "Bob joins the group." in alice.heard()
    listed = await carol.run("group")
    assert listed == "You are in no group."
    listed = await bob.run("group")
    assert "Alice's group:" in listed and "  Bob    100/100 hp 100/100 mp 100/100 st" in listed
    assert "Only Alice invites to this group." in await bob.run("group invite carol")
    await alice.run("gtell meet at the gate")
    assert "Alice tells the group, 'meet at the gate'" in bob.heard()
    assert "meet at the gate" not in carol.heard()
    assert "You leave the group." in await bob.run("group leave")
    assert "Bob has left the group." in alice.heard()
    assert "You are in no group." in await alice.run("gtell anyone?")  # a group of one is none
    await alice.run("group invite carol")
    await carol.run("group accept alice")
    assert "Carol is put out of the group." in await alice.run("group kick carol")
    assert "Alice puts you out of the group." in carol.heard()


async def test_a_kill_counts_for_the_group_mates_standing_there(arena: Harness) -> None:
    fighter, friend = arena.player("Alice"), arena.player("Bob")
    far = arena.player("Carol")
    for player in (fighter, friend, far):
        assert "Rat Trouble" in await player.run("quest accept 1")
    await fighter.run("group invite bob")
    await friend.run("group accept")
    await fighter.run("group invite carol")
    await far.run("group accept")
    await far.run("south")  # a member, but not there
    await fighter.run("kill rat")
    arena.tick_until(fighter, "is dead!")
    assert "[Rat Trouble] a test rat: 1/1" in fighter.heard()
    assert "[Rat Trouble] a test rat: 1/1" in friend.heard()  # never struck a blow
    assert "[Rat Trouble]" not in far.heard()


async def test_groups_and_following_are_taken_as_ids_and_restored() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    await alice.run("group invite bob")
    await bob.run("group accept")
    await carol.run("follow alice")
    data = harness.game.groups.taken()
    again = Groups(harness.game.characters)
    assert again.restore(data) == []
    assert [m.name for m in again.members(again.of(bob.ch))] == ["Alice", "Bob"]
    assert again.followed_by(carol.ch) is alice.ch
    assert again.mates_in(alice.ch, "village_square") == [bob.ch]
    broken = Groups(harness.game.characters)
    assert broken.restore({"groups": [{"leader": "not an id"}], "following": {}})[0].startswith(
        "groups and following: malformed")
    assert broken.of(alice.ch) is None
