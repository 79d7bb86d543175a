"""One registry of commands, filled by the @command decorator.

Each command names itself, its aliases, the role it needs and what it asks of its caller's state
(its needs: standing, not fighting, not frozen, as tbaMUD's minimum position). The role check
lives here and nowhere else, and commands above a caller's role are invisible to it (help,
prefix matching); the needs are defined here, each with its one refusal, and the dispatcher
checks them before the handler runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Flag, auto
from typing import TYPE_CHECKING, NamedTuple

from mud.game.fighting import foes_of
from mud.roles import ROLES, role_allows

__all__ = ["REGISTRY", "ROLES", "Ambiguous", "Command", "Need", "command", "role_allows",
           "unmet"]

if TYPE_CHECKING:
    from mud.commands.context import Context
    from mud.game.model import Character
    from mud.game.state import Game

Handler = Callable[["Context"], "Awaitable[None] | None"]


class Need(Flag):
    """What a command asks of its caller's state; checked in this order."""

    NONE = 0
    THAWED = auto()  # not frozen by a wizard: asked by every command not declared while_frozen
    STANDING = auto()  # not resting
    NOT_FIGHTING = auto()  # no monster fights the caller where it stands

    @property
    def refusal(self) -> str:
        """What the caller is told when this need is not met."""
        return _REQUIREMENTS[self].refusal


class _Requirement(NamedTuple):
    met: Callable[[Game, Character], bool]
    refusal: str
    help: str  # how `help <command>` names it, after "Not "; "" when help leaves it unsaid


_REQUIREMENTS = {
    Need.THAWED: _Requirement(
        lambda game, ch: not ch.frozen,
        "You are frozen solid and cannot do anything until a wizard thaws you.", ""),
    Need.STANDING: _Requirement(
        lambda game, ch: not ch.resting, "You are resting. Stand up first.", "while resting"),
    Need.NOT_FIGHTING: _Requirement(
        lambda game, ch: not foes_of(game, ch), "Not in the middle of a fight! Flee first.",
        "in a fight"),
}


def unmet(game: Game, ch: Character, needs: Need) -> Need | None:
    """The first of needs that ch does not meet, or None when it meets them all."""
    return next((need for need in needs if not _REQUIREMENTS[need].met(game, ch)), None)


@dataclass(frozen=True)
class Command:
    name: str
    aliases: tuple[str, ...]
    role: str
    category: str
    handler: Handler
    needs: Need = Need.THAWED

    @property
    def help(self) -> str:
        """The handler's docstring, and a line on what the command asks of its caller."""
        text = inspect.cleandoc(self.handler.__doc__ or "No help yet.")
        limits = [_REQUIREMENTS[need].help for need in self.needs if _REQUIREMENTS[need].help]
        return f"{text}\n\nNot {' or '.join(limits)}." if limits else text

    @property
    def summary(self) -> str:
        return self.help.splitlines()[0]


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


def command(name: str, *aliases: str, role: str = "player", category: str = "general",
            needs: Need = Need.NONE, while_frozen: bool = False
            ) -> Callable[[Handler], Handler]:
    """Register the decorated handler; its docstring is its help (first line: the summary).
    needs: what it asks besides not being frozen, which every command asks unless
    while_frozen."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    declared = needs if while_frozen else needs | Need.THAWED

    def register(handler: Handler) -> Handler:
        REGISTRY.add(Command(name, aliases, role, category, handler, declared))
        return handler

    return register
