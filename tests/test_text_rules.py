"""The rules of the text players read: articles, counts and plurals, rooms in running text, and
word wrap with hanging indents."""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
import uuid
from pathlib import Path

import pytest

from mud.commands import REGISTRY
from mud.commands.display import prompt_line
from mud.game.model import Character
from mud.net.colour import render
from mud.net.terminal import Colours
from mud.net.wrap import wrap, wrap_line
from mud.text import indefinite, number_word, place_of, plural, several
from mud.world.export import export_world
from mud.world.loader import WorldError, load_world
from mud.world.overlay import Overlay, OverlayRoom


@pytest.mark.parametrize(("phrase", "expected"), [
    ("iron-rank adventurer", "an iron-rank adventurer"),
    ("normal-rank adventurer", "a normal-rank adventurer"),
    ("armour", "an armour"), ("essence", "an essence"), ("weapon", "a weapon"),
    ("utility", "a utility"), ("unusual find", "an unusual find"), ("hour", "an hour"),
    ("honest trader", "an honest trader"), ("one-eyed crow", "a one-eyed crow"),
    ("European", "a European"), ("8-pound hammer", "an 8-pound hammer"),
    ("herb", "a herb"), ("Iron", "an Iron"),
])
def test_indefinite_article_goes_by_sound(phrase: str, expected: str) -> None:
    assert indefinite(phrase) == expected


@pytest.mark.parametrize(("noun", "expected"), [
    ("cellar rat", "cellar rats"), ("grey wolf", "grey wolves"), ("small pouch", "small pouches"),
    ("loaf of bread", "loaves of bread"), ("pair of iron knuckles", "pairs of iron knuckles"),
    ("handful of wild berries", "handfuls of wild berries"), ("hare's foot", "hare's feet"),
    ("smoked trout", "smoked trout"), ("wolf-fang knife", "wolf-fang knives"),
    ("ember essence", "ember essences"), ("pinch of grave dust", "pinches of grave dust"),
    ("fairy", "fairies"), ("grey", "greys"), ("box", "boxes"),
])
def test_plural_of_the_head_noun(noun: str, expected: str) -> None:
    assert plural(noun) == expected


def test_several_counts_in_words_then_figures() -> None:
    assert several("a cellar rat", 3) == "three cellar rats"
    assert several("an ember essence", 2) == "two ember essences"
    assert several("a copper coin", 12) == "twelve copper coins"
    assert several("a copper coin", 13) == "13 copper coins"
    assert several("a cellar rat", 1) == "a cellar rat"
    assert several("Red Hessa", 2) is None  # a name, not a kind of thing: never counted
    assert several("the grey alpha", 2) is None
    assert number_word(1) == "one" and number_word(20) == "20"


@pytest.mark.parametrize(("name", "expected"), [
    ("Village Square", "in the Village Square"),
    ("The Drowned Lantern Inn", "in the Drowned Lantern Inn"),
    ("Harrow's General Store", "in Harrow's General Store"),
    ("Charcoal Burners' Clearing", "in the Charcoal Burners' Clearing"),
])
def test_place_defaults_to_in_the_name(name: str, expected: str) -> None:
    assert place_of(name) == expected


def test_wrap_fills_lines_and_hangs_indented_ones_a_little_deeper() -> None:
    lines = wrap_line("    " + "word " * 20, 30)
    assert lines[0].startswith("    word") and len(lines) == 4
    assert all(line.startswith("      w") and len(line) <= 30 for line in lines[1:])
    paragraph = wrap_line("word " * 20, 30)
    assert all(line.startswith("w") and len(line) <= 30 for line in paragraph)


def test_wrap_hangs_under_a_label() -> None:
    text = "Brann says: " + " ".join(["hammer"] * 12)
    lines = wrap_line(text, 40)
    assert lines[0].startswith("Brann says: hammer")
    assert all(line.startswith(" " * 12 + "hammer") for line in lines[1:])
    assert all(len(line) <= 40 for line in lines)
    usage = wrap_line("  Usage: quest accept <n | name>     take one on", 30)
    assert all(line.startswith(" " * 9) and line[9] != " " for line in usage[1:])


def test_wrap_hangs_under_an_aligned_column() -> None:
    line = "  look         Look at the room, or at someone or something."
    lines = wrap_line(line, 40)
    assert lines[0] == "  look         Look at the room, or at"
    assert lines[1] == " " * 15 + "someone or something."
    summary = "  consider   Size up a monster before you fight it: your blows and heals"
    assert wrap_line(summary, 40)[1].startswith(" " * 13 + "you")  # not the colon, too late


def test_a_label_too_wide_for_the_window_is_not_hung_under() -> None:
    lines = wrap_line("Harrow the shopkeeper says: " + "word " * 10, 40)
    assert lines[1].startswith("word") and all(len(line) <= 40 for line in lines)


def test_a_colon_late_in_prose_is_no_label() -> None:
    prose = ("A broad square of packed earth and old flagstones opens here in the middle: "
             + "stone " * 10)
    assert all(line.startswith("stone") or line.startswith("A broad")
               or line.startswith("earth") or line.startswith("old")
               for line in wrap_line(prose, 100)[1:])
    assert wrap_line(prose, 100)[1][0] != " "


def test_wrap_counts_markup_as_no_width_and_is_idempotent() -> None:
    text = "{red}Brann{reset} says: " + "hammer " * 12
    once = wrap(text, 40)
    assert wrap(once, 40) == once
    assert once.split("\n")[1].startswith(" " * 12)


# -- rooms in running text: world data ----------------------------------------------------------

WORLD = Path(__file__).resolve().parent.parent / "world"


def test_rooms_read_in_running_text_from_world_data() -> None:
    rooms = load_world(WORLD).rooms
    assert rooms["road_gatehouse"].where == "outside the North Gate"
    assert rooms["market_street"].where == "on Market Street"
    assert rooms["village_square"].where == "in the Village Square"  # made from the name


def _world_with(tmp_path: Path, room_lines: str) -> Path:
    """A copy of the world whose village square has room_lines added after its name."""
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    zone = world / "zones" / "greywater.toml"
    zone.write_text(zone.read_text().replace('name = "Village Square"\n',
                                             f'name = "Village Square"\n{room_lines}\n', 1))
    return world


@pytest.mark.parametrize("lines", ['place = "In the Village Square"', "place = 3",
                                   'place = ""', 'plaec = "in the square"'])
def test_a_bad_place_is_refused_with_its_room(tmp_path: Path, lines: str) -> None:
    with pytest.raises(WorldError) as refused:
        load_world(_world_with(tmp_path, lines))
    assert len(refused.value.problems) == 1
    problem = refused.value.problems[0]
    assert problem.startswith("zones/greywater.toml: room #1 (village_square): ")
    assert "'place' must be" in problem or "unknown key(s) plaec" in problem


def test_export_keeps_a_place_and_a_renamed_room_loses_it(tmp_path: Path) -> None:
    files = load_world(WORLD)
    gate, street = files.rooms["road_gatehouse"], files.rooms["market_street"]
    overlay = Overlay({
        "road_gatehouse": OverlayRoom.of(dataclasses.replace(gate, description="Redone.")),
        "market_street": OverlayRoom.of(dataclasses.replace(street, name="Stall Row"))})
    exported = export_world(WORLD, overlay, tmp_path / "out", lambda _: None)
    assert exported.rooms["road_gatehouse"].where == "outside the North Gate"
    assert exported.rooms["market_street"].where == "in the Stall Row"
    with (tmp_path / "out" / "zones" / "greywater.toml").open("rb") as fh:
        street_table = next(r for r in tomllib.load(fh)["room"] if r["id"] == "market_street")
    assert "place" not in street_table


def test_no_help_text_is_coloured_by_its_own_examples() -> None:
    for cmd in REGISTRY.visible("admin"):
        assert "\x1b" not in render(cmd.help, Colours.ANSI), cmd.name


def test_every_command_summary_is_a_whole_sentence() -> None:
    """help lists the first line of each command's help: it must not stop mid-sentence."""
    for cmd in REGISTRY.visible("admin"):
        assert cmd.summary.rstrip().endswith((".", ")", "?", "!", ">", "]", ".'")), cmd.name


def test_prompt_codes_are_filled_in_and_the_rest_kept_as_typed() -> None:
    ch = Character(id=uuid.uuid4(), player_id=uuid.uuid4(), name="Ann", rank="iron", power=12,
                   speed=10, spirit=11, recovery=10, room_id="village_square", health=37,
                   mana=5, stamina=100)
    assert prompt_line(None, ch) == "37/120 hp 5/110 mp 100/100 st> "
    assert prompt_line("{red}%h{reset} %r %%h 100%% %x> ", ch) == \
        "{red}37{reset} iron %h 100% %x> "
