"""One registry of commands, filled by the @command decorator.

Each command names itself, its aliases and the role it needs; the role check lives here and
nowhere else, and commands above a caller's role are invisible to it (help, prefix matching).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mud.roles import ROLES, role_allows

__all__ = ["REGISTRY", "ROLES", "Ambiguous", "Command", "command", "role_allows"]

if TYPE_CHECKING:
    from mud.commands.context import Context

Handler = Callable[["Context"], "Awaitable[None] | None"]


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    role: str
    category: str
    handler: Handler

    @property
    def help(self) -> str:
        return inspect.cleandoc(self.handler.__doc__ or "No help yet.")

    @property
    def summary(self) -> str:
        return self.help.splitlines()[0]

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)


class Ambiguous(Exception):
    def __init__(self, word: str, names: list[str]) -> None:
        super().__init__(word)
        self.word = word
        self.names = names


class Registry:
    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._exact: dict[str, Command] = {}

    def add(self, cmd: Command) -> None:
        for word in (cmd.name, *cmd.aliases):
            if word in self._exact:
                raise ValueError(f"command word '{word}' is registered twice")
            self._exact[word] = cmd
        self._commands.append(cmd)

    def visible(self, role: str) -> list[Command]:
        return sorted((c for c in self._commands if role_allows(role, c.role)),
                      key=lambda c: c.name)

    def words(self) -> set[str]:
        return set(self._exact)

    def exact(self, word: str, role: str) -> Command | None:
        cmd = self._exact.get(word.lower())
        return cmd if cmd is not None and role_allows(role, cmd.role) else None

    def resolve(self, word: str, role: str) -> Command | None:
        """Exact name or alias, else the one command whose name starts with word.
        Raises Ambiguous when several do."""
        word = word.lower()
        found = self.exact(word, role)
        if found is not None:
            return found
        matches = [c for c in self.visible(role) if c.name.startswith(word)]
        if len(matches) > 1:
            raise Ambiguous(word, [c.name for c in matches])
        return matches[0] if matches else None


REGISTRY = Registry()


def command(name: str, *aliases: str, role: str = "player",
            category: str = "general") -> Callable[[Handler], Handler]:
    """Register the decorated handler; its docstring is its help (first line: the summary)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def register(handler: Handler) -> Handler:
        REGISTRY.add(Command(name, aliases, role, category, handler))
        return handler

    return register
