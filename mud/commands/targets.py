"""Target syntax shared by every command: `sword`, `2.sword`, `all.coin`, `all`, `3 coin`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mud.game.mobs import Mob

T = TypeVar("T")

SELF_WORDS = frozenset({"self", "me", "myself"})  # the caller, wherever a person is named


@dataclass(frozen=True)
class TargetSpec:
    keyword: str | None      # None with every=True means "all"
    index: int = 1           # 2.sword -> 2
    every: bool = False      # all.coin / all
    count: int | None = None  # "3 coin" -> 3 (how many from a stack)


class BadTarget(ValueError):
    pass


def _is_number(word: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²' and '①', which int() refuses."""
    return word.isascii() and word.isdigit() and len(word) <= 6


def parse_target(text: str) -> TargetSpec:
    words = text.split()
    if not words:
        raise BadTarget("Which one?")
    count = None
    if len(words) > 1 and _is_number(words[0]):
        count = int(words[0])
        if count < 1:
            raise BadTarget("You need at least one.")
        words = words[1:]
    word = words[0].lower()
    if word == "all":
        return TargetSpec(None, every=True, count=count)
    if word.startswith("all."):
        keyword = word[4:]
        if not keyword:
            raise BadTarget("All of what?")
        return TargetSpec(keyword, every=True, count=count)
    head, dot, tail = word.partition(".")
    if dot and _is_number(head) and tail:
        index = int(head)
        if index < 1:
            raise BadTarget("There is no zeroth one.")
        return TargetSpec(tail, index=index, count=count)
    return TargetSpec(word, count=count)


def matches_keywords(keyword: str, words: Sequence[str]) -> bool:
    """A keyword matches when it is a prefix of one of the thing's words."""
    return any(w.startswith(keyword) for w in words)


def select(candidates: Sequence[T], spec: TargetSpec, words_of: Callable[[T], Sequence[str]],
           name_of: Callable[[T], str] | None = None) -> list[T]:
    """The candidates a spec names: all matches for all./all, else the index-th match. Given
    name_of, the matches whose own name has the keyword come first (in their order), then the
    rest: `bandit` is the ragged bandit before Red Hessa, a bandit only by keyword, and
    `2.bandit` the next one in that same order."""
    if spec.keyword is None:
        return list(candidates)
    keyword = spec.keyword
    found = [c for c in candidates if matches_keywords(keyword, words_of(c))]
    if name_of is not None:
        found.sort(key=lambda c: not matches_keywords(keyword, name_of(c).lower().split()))
    if spec.every:
        return found
    return [found[spec.index - 1]] if len(found) >= spec.index else []


def select_monsters(mobs: Sequence[Mob], spec: TargetSpec) -> list[Mob]:
    """The monsters a spec names (kill, consider, look, abilities), by keyword, those whose
    own name has it first."""
    return select(mobs, spec, lambda m: m.keywords, lambda m: m.name)
