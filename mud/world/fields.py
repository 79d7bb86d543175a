"""Checked reads of world data values: each bad value is reported (entry, message) and a safe
stand-in returned, so one load reports every problem at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Problem = Callable[[str, str], None]  # (entry, message)


def number(problem: Problem, entry: str, data: dict[str, Any], key: str, low: int,
           high: int, default: int | None = None) -> int:
    """A whole number in low..high; default (when given) stands for a missing key."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problem(entry, f"'{key}' must be a whole number from {low} to {high}")
        return low
    return value


def choice(problem: Problem, entry: str, data: dict[str, Any], key: str,
           allowed: Iterable[str], default: str | None = None) -> str:
    value = data.get(key, default)
    allowed = tuple(allowed)
    if value not in allowed:
        problem(entry, f"'{key}' is {value!r}; it must be one of {', '.join(allowed)}")
        return allowed[0]
    return str(value)


def text(problem: Problem, entry: str, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        problem(entry, f"'{key}' must be a non-empty string")
        return ""
    return value.strip()


def unknown_keys(problem: Problem, entry: str, data: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        problem(entry, f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")


def flag(problem: Problem, entry: str, data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problem(entry, f"'{key}' must be true or false")
        return False
    return value


def keywords(problem: Problem, entry: str, data: dict[str, Any]) -> tuple[str, ...]:
    value = data.get("keywords")
    if (not isinstance(value, list) or not value
            or not all(isinstance(k, str) and k.isalpha() and k.islower() for k in value)):
        problem(entry, "'keywords' must be a list of lowercase words")
        return ()
    return tuple(value)


def table_list(problem: Problem, entry: str, data: dict[str, Any], key: str
               ) -> list[dict[str, Any]]:
    """A list of tables (TOML [[key]] or [ {..}, {..} ]); missing means empty."""
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problem(entry, f"'{key}' must be a list of tables")
        return []
    return value
