"""Small helpers for the text players read: counts, articles, plurals, rooms in running text."""

from __future__ import annotations

import math
import re

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")
# starts of words whose first letter misleads: a vowel said as a consonant, a silent h
_SAID_WITH_A = ("eu", "ewe", "one", "once", "uni", "use", "usu", "uti", "ute", "ura", "uri")
_SAID_WITH_AN = re.compile(r"hour|honest|honou?r|heir|8|1[18](?!\d)")
_NOT_SAID_WITH_A = ("unin", "unim", "unid")  # un-: an uninvited, an unimportant
_IRREGULAR_PLURALS = {
    "foot": "feet", "tooth": "teeth", "goose": "geese", "mouse": "mice", "louse": "lice",
    "man": "men", "woman": "women", "child": "children", "ox": "oxen", "person": "people",
    "knife": "knives", "wife": "wives", "life": "lives", "loaf": "loaves", "leaf": "leaves",
    "wolf": "wolves", "half": "halves", "elf": "elves", "shelf": "shelves", "thief": "thieves",
    "calf": "calves", "hoof": "hooves", "dwarf": "dwarves", "scarf": "scarves",
}
_SAME_IN_PLURAL = frozenset({"sheep", "deer", "fish", "trout", "salmon", "moose", "swine",
                             "bison", "dust"})
_INDEFINITE = re.compile(r"^an? ", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\w's ")  # "Harrow's General Store": a name, no article of its own


def counted(name: str, quantity: int) -> str:
    """'a copper coin (x3)', or just the name for one."""
    return f"{name} (x{quantity})" if quantity > 1 else name


def upper_first(text: str) -> str:
    """Start a sentence with text: 'red Hessa' stays 'Red Hessa' (str.capitalize would give
    'Red hessa')."""
    return text[:1].upper() + text[1:]


def indefinite(phrase: str) -> str:
    """phrase after 'a' or 'an', as it is said: 'an iron-rank adventurer', 'a utility', 'an
    hour'."""
    start = phrase.lower()
    vowel = start[:1] in tuple("aeiou")
    if start.startswith(_SAID_WITH_A) and not start.startswith(_NOT_SAID_WITH_A):
        vowel = False
    elif _SAID_WITH_AN.match(start):
        vowel = True
    return f"{'an' if vowel else 'a'} {phrase}"


def number_word(count: int) -> str:
    """A count as it is written in a sentence: words up to twelve, figures above."""
    return _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else str(count)


def _plural_word(word: str) -> str:
    stem, _, last = word.rpartition("-")  # wolf-fang knife: the knife is what is counted
    lower = last.lower()
    if lower in _IRREGULAR_PLURALS:
        last = last[:-len(lower)] + _IRREGULAR_PLURALS[lower]
    elif lower in _SAME_IN_PLURAL:
        pass
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    elif lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{stem}-{last}" if stem else last


def plural(noun: str) -> str:
    """The plural of a noun phrase without its article: its head word (the last, or the last
    before 'of') made plural: 'grey wolves', 'loaves of bread', "hare's feet"."""
    head, of, rest = noun.partition(" of ")
    before, _, word = head.rpartition(" ")
    counted_head = f"{before} {_plural_word(word)}" if before else _plural_word(word)
    return counted_head + of + rest


def countable(name: str) -> bool:
    """Whether name names a kind of thing ('a cellar rat'), not one thing (Red Hessa, the grey
    alpha): only a kind is counted."""
    return _INDEFINITE.match(name) is not None


def several(name: str, count: int) -> str | None:
    """count of the kind of thing name names, in words: 'three cellar rats' for 'a cellar rat';
    None for a name that is not countable."""
    if not countable(name):
        return None
    if count == 1:
        return name
    return f"{number_word(count)} {plural(name.partition(' ')[2])}"


def place_of(name: str) -> str:
    """A room in running text, for a room whose world data gives no `place`: 'in the Village
    Square', 'in the Drowned Lantern Inn' (from 'The Drowned Lantern Inn'), "in Harrow's General
    Store"."""
    if name.startswith("The "):
        return f"in the {name[4:]}"
    if _POSSESSIVE.search(name):
        return f"in {name}"
    return f"in the {name}"


def whole_seconds(seconds: float) -> int:
    """Seconds as a player is told them: rounded up, so what is not over never shows 0s."""
    return math.ceil(seconds)
