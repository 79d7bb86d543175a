"""A player's command aliases: a name standing for one or more commands (`;` between them),
with `$1`..`$9` for the words typed after the name and `$*` for all of them."""

from __future__ import annotations

import re

ALIASES_MAX = 30  # per character
ALIAS_LENGTH = 200  # characters an alias stands for
COMMANDS_MAX = 10  # commands one alias runs
RESERVED = frozenset({"alias", "unalias", "quit"})  # names an alias may not take

_ARGUMENT = re.compile(r"\$(\*|[1-9])")


def refusal(name: str, body: str, aliases: dict[str, str]) -> str | None:
    """Why name may not stand for body among aliases, or None when it may."""
    if not (name.isascii() and name.isalpha() and len(name) <= 20):
        return "An alias's name is one word of at most 20 letters a-z."
    if name in RESERVED:
        return f"'{name}' cannot be an alias."
    if len(body) > ALIAS_LENGTH:
        return f"An alias stands for at most {ALIAS_LENGTH} characters."
    if len(commands(body)) > COMMANDS_MAX:
        return f"An alias runs at most {COMMANDS_MAX} commands."
    if name not in aliases and len(aliases) >= ALIASES_MAX:
        return f"You have {ALIASES_MAX} aliases already. Remove one first (alias <name>)."
    return None


def commands(body: str) -> list[str]:
    return [part.strip() for part in body.split(";") if part.strip()]


def expand(aliases: dict[str, str], line: str) -> list[str] | None:
    """The commands line runs when its first word is an alias (None when it is not). What an
    alias runs is not expanded again: an alias cannot call itself or another."""
    word, _, rest = line.partition(" ")
    body = aliases.get(word.lower())
    if body is None:
        return None
    words = rest.split()

    def argument(match: re.Match[str]) -> str:
        if match[1] == "*":
            return " ".join(words)
        index = int(match[1]) - 1
        return words[index] if index < len(words) else ""

    uses_arguments = _ARGUMENT.search(body) is not None
    expanded = commands(_ARGUMENT.sub(argument, body))
    if not uses_arguments and rest.strip() and expanded:
        expanded[-1] += " " + rest.strip()  # `kr 2` for kr = "kill rat": kill rat 2
    return expanded[:COMMANDS_MAX]
