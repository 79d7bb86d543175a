"""Finding your way, in memory on the bundled world: the map drawn from compass exits (a pure
function), where, scan, and who sorted by rank with titles and idle times. `finger`'s last-seen
line reads PostgreSQL and runs end to end (tests/test_gateways.py)."""

from __future__ import annotations

from mud.game.mapping import draw_map
from tests.harness import Harness, bundled_world

ROOMS = bundled_world().rooms


def test_the_map_lays_rooms_out_by_the_compass_and_marks_where_you_are() -> None:
    assert draw_map(ROOMS, "village_square", 1) == [  # every room at most a square away
        "[+]-[ ]-[ ]",  # the inn, Market Street, the store
        "     |",
        "[ ]-[*]-[ ]",  # Temple Walk, the square, Smithy Lane
        "     |",
        "    [ ]-[ ]",  # South Lane, the herb garden
    ]
    drawn = draw_map(ROOMS, "village_square", 2)
    assert drawn[4] == "[+]-[ ]-[*]-[ ]-[ ]"  # the shrine has a way down
    assert drawn[2] == "    [+]-[ ]-[ ]"  # the inn (up, down), the street, the store
    assert draw_map(ROOMS, "inn_loft", 3) == ["[*]"]  # reached only by up and down


async def test_map_where_and_scan() -> None:
    harness = Harness()
    alice = harness.player("Alice")
    harness.player("Bob", room="market_street")
    harness.player("Carol", room="road_gatehouse")  # another zone
    mapped = await alice.run("map")
    assert mapped.startswith("Village Square and around it:\n")
    assert "[*]" in mapped and "[+] a way up or down" in mapped
    where = await alice.run("where")
    assert "Players in Greywater Village:" in where and "Bob    Market Street" in where
    assert "Carol" not in where
    scanned = await alice.run("scan")
    assert "  north  Market Street: Bob" in scanned
    assert "  east   Smithy Lane: no one" in scanned


async def test_who_puts_higher_ranks_first_with_titles_and_idle_times() -> None:
    harness = Harness()
    alice = harness.player("Alice")
    bob = harness.player("Bob", rank="iron")
    await bob.run("title the Quick")
    harness.advance(150)
    assert "[ normal] Alice (idle 2m)" in await bob.run("who")  # she typed nothing for 150 s
    listed = await alice.run("who")
    assert listed.index("[   iron] Bob the Quick") < listed.index("[ normal] Alice")
    assert "Bob the Quick\n" in listed and "Alice\n" in listed  # both just typed
