"""`mud console`: the operator console of a running server.

The server listens on a Unix socket, by default `<data dir>/console.sock` (`MUD_CONSOLE_SOCKET`
or `--console-socket` names another). The socket's mode is 0600, so only the operating-system
user that runs the server (and root) can open it; there is no password. Run the console as that
user, with the same `--data-dir` (or `--console-socket`) as the server:

    mud console                         interactive: history in ~/.mud_console_history,
                                        tab completes command names; `quit` or Ctrl-D leaves
    mud console -c "status"             one command, for scripts
    mud console -c "status" --json      the reply as one JSON object: {"ok", "text", "data"}
    printf 'save\\nstatus\\n' | mud console   commands read from standard input, one a line

Exit codes: 0 every command succeeded; 1 a command was refused or failed (`status` fails when
the database or Redis is down); 2 the console could not be reached (the message says whether
the server seems to be running and which socket was tried).

Commands (`help` lists them, `help <command>` shows one): status, sessions, save, create-admin,
reset-password, and the staff operations (mud.ops), with the wizard commands' syntax where both
have one: kick, broadcast, shutdown <minutes | now> [reason] (and shutdown cancel), reload
world, promote, demote, wizlock, ban, unban, bans. `create-admin <username> [email]` is how the
first admin is made: a new account gets a random password, printed once. Every command but help
is written to the audit log as account "console", role admin.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from mud.console.protocol import MAX_REPLY, decode, encode, request

EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2
REPLY_TIMEOUT = 120.0  # seconds; a save or a world reload on a busy server can take a while
HISTORY = Path("~/.mud_console_history").expanduser()
HISTORY_LENGTH = 1000
QUIT = frozenset({"quit", "exit"})


class Unreachable(Exception):
    """The console cannot be reached; the message says why and what to check."""


class ConsoleClient:
    def __init__(self, sock: socket.socket, path: Path) -> None:
        self._sock = sock
        self._file = sock.makefile("rb")
        self.path = path

    @classmethod
    def connect(cls, path: Path) -> ConsoleClient:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(REPLY_TIMEOUT)
        try:
            sock.connect(str(path))
        except FileNotFoundError:
            sock.close()
            raise Unreachable(f"there is no console socket at {path}: the server is not running, "
                              "or it uses another --data-dir or --console-socket") from None
        except ConnectionRefusedError:
            sock.close()
            raise Unreachable(f"nothing answers at {path}: the server is not running (the "
                              "file is left from one that stopped)") from None
        except PermissionError:
            sock.close()
            raise Unreachable(f"permission denied on {path}: run the console as the user "
                              "that runs the server") from None
        except OSError as exc:
            sock.close()
            raise Unreachable(f"cannot connect to {path}: {exc}") from None
        return cls(sock, path)

    def ask(self, line: str) -> dict[str, Any]:
        """Send one command line and return the server's reply."""
        closed = Unreachable("the server closed the console connection (is it shutting down?)")
        try:
            self._sock.sendall(encode(request(line)))
            answer = self._file.readline(MAX_REPLY)
        except TimeoutError:
            raise Unreachable(f"no reply from the server within {REPLY_TIMEOUT:.0f} s") from None
        except (BrokenPipeError, ConnectionResetError):
            raise closed from None
        except OSError as exc:
            raise Unreachable(f"the connection to {self.path} failed: {exc}") from None
        if not answer:
            raise closed
        try:
            return decode(answer)
        except ValueError:
            raise Unreachable(f"the server sent something that is not a reply: "
                              f"{answer[:200]!r}") from None

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def _show(reply: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(reply), flush=True)
    else:
        print(reply.get("text", ""), file=sys.stdout if reply.get("ok") else sys.stderr,
              flush=True)


def _run_lines(client: ConsoleClient, lines: Iterable[str], as_json: bool) -> int:
    """Each line a command (blank ones and # comments skipped); 1 if any failed."""
    code = EXIT_OK
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in QUIT:
            break
        reply = client.ask(line)
        _show(reply, as_json)
        if not reply.get("ok"):
            code = EXIT_FAILED
    return code


def _prompted_lines(names: list[str]) -> Iterable[str]:
    """Lines typed at a terminal, with readline's history and completion of command names."""
    import readline

    def complete(text: str, state: int) -> str | None:
        if readline.get_begidx() > 0:  # only the command word
            return None
        matches = [f"{name} " for name in names if name.startswith(text.lower())]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        while True:
            try:
                yield input("mud> ")
            except KeyboardInterrupt:
                print()
            except EOFError:
                print()
                return
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY)


def _interactive(client: ConsoleClient, as_json: bool) -> int:
    about = client.ask("help")
    names = about.get("data", {}).get("commands", [])
    print(f"Console of {about.get('data', {}).get('process', 'the server')} at {client.path}. "
          "Type help for the commands, quit to leave.", flush=True)
    _run_lines(client, _prompted_lines(names), as_json)
    return EXIT_OK


def run(path: Path, command: str | None, as_json: bool, stdin: TextIO = sys.stdin) -> int:
    """The `mud console` program; returns its exit code."""
    try:
        client = ConsoleClient.connect(path)
        try:
            if command is not None:
                return _run_lines(client, [command], as_json)
            if stdin.isatty():
                return _interactive(client, as_json)
            return _run_lines(client, stdin, as_json)
        finally:
            client.close()
    except Unreachable as exc:
        print(f"mud console: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
