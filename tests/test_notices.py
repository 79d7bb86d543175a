"""Room notices of one kind in one room and one turn are told once: a crowd that drops at once
costs each bystander one line, not one per person."""

from __future__ import annotations

from collections.abc import Callable

from mud.game.notices import ENTERED, LOST_LINK, told
from tests.harness import Harness, HarnessPlayer


def deferred(harness: Harness) -> list[Callable[[], None]]:
    """Make the game's notices wait for the end of the turn, as on the server; the list holds
    the turn's end, for the test to run."""
    turn_end: list[Callable[[], None]] = []
    harness.game.notices.defer = turn_end.append
    return turn_end


def lose_link(harness: Harness, player: HarnessPlayer) -> None:
    game = harness.game
    del game.players[player.ch.id]
    game.notify(game.room_of(player.ch), LOST_LINK, player.ch)


def test_the_notice_names_a_few_and_counts_the_rest() -> None:
    assert told(LOST_LINK, ["Ann"], 0) == "Ann has lost their link."
    assert told(LOST_LINK, ["Ann", "Bob"], 0) == "Ann and Bob have lost their link."
    assert told(ENTERED, ["Ann", "Bob", "Cid"], 0) == "Ann, Bob and Cid have entered the game."
    assert told(LOST_LINK, ["Ann", "Bob"], 1) == "Ann, Bob and 1 other have lost their link."
    assert told(LOST_LINK, ["Ann", "Bob"], 37) == "Ann, Bob and 37 others have lost their link."


def test_a_crowd_that_drops_in_one_turn_is_one_line_for_each_bystander() -> None:
    harness = Harness()
    bystanders = [harness.player(name) for name in ("Watcher", "Keeper")]
    crowd = [harness.player(f"Crowd{chr(97 + i // 26)}{chr(97 + i % 26)}") for i in range(40)]
    turn_end = deferred(harness)
    marks = [len(b.output) for b in bystanders]
    for player in crowd:
        lose_link(harness, player)
    assert [len(b.output) for b in bystanders] == marks  # nothing before the turn ends
    assert len(turn_end) == 1
    turn_end.pop()()
    for bystander, mark in zip(bystanders, marks, strict=True):
        assert bystander.output[mark:] == [
            "Crowdaa, Crowdab and 38 others have lost their link."]
    harness.game.notices.flush()  # nothing is told twice
    assert all(len(b.output) == mark + 1 for b, mark in zip(bystanders, marks, strict=True))


def test_those_who_arrive_together_hear_of_the_others_but_not_themselves() -> None:
    harness = Harness()
    watcher = harness.player("Watcher")
    turn_end = deferred(harness)
    ann, bob = harness.player("Ann"), harness.player("Bob")
    turn_end.pop()()
    assert watcher.output[-1] == "Ann and Bob have entered the game."
    assert ann.output == ["Bob has entered the game."]
    assert bob.output == ["Ann has entered the game."]


def test_an_invisible_wizard_is_named_to_wizards_alone() -> None:
    harness = Harness()
    player, wizard = harness.player("Player"), harness.player("Watchful", role="wizard")
    ghost = harness.player("Ghost", role="wizard", invisible=True)
    ann = harness.player("Ann")
    turn_end = deferred(harness)
    marks = len(player.output), len(wizard.output)
    lose_link(harness, ghost)
    lose_link(harness, ann)
    turn_end.pop()()
    assert player.output[marks[0]:] == ["Ann has lost their link."]
    assert wizard.output[marks[1]:] == ["Ghost and Ann have lost their link."]


def test_without_a_turn_to_wait_for_each_notice_is_told_at_once() -> None:
    harness = Harness()
    watcher, ann = harness.player("Watcher"), harness.player("Ann")
    assert watcher.output[-1] == "Ann has entered the game."
    lose_link(harness, ann)
    assert watcher.output[-1] == "Ann has lost their link."
