"""Debian's stock `telnet` (netkit) in a real terminal: a new player signs up interactively,
walks and says something, pressing Enter as anyone would."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import shutil
import struct
import termios

import pytest

from tests.conftest import PASSWORD, ServerProcess, new_name, query

ROWS, COLS = 30, 90


def stock_telnet() -> str:
    """The telnet program; the test skips without it, except in CI (where .ci/run installs it)."""
    found = shutil.which("telnet")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("telnet is missing in CI: .ci/run must install it (apt-get install telnet)")
        pytest.skip("stock telnet is not installed (apt-get install telnet)")
    return found


class Terminal:
    """A program on a pseudo-terminal: keys typed in, the screen's bytes read out."""

    def __init__(self, master: int, proc: asyncio.subprocess.Process) -> None:
        self.master = master
        self.proc = proc
        self.screen = b""
        self._seen = 0

    @classmethod
    async def run(cls, *argv: str) -> Terminal:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            env={**os.environ, "TERM": "xterm"})
        os.close(slave)
        os.set_blocking(master, False)
        return cls(master, proc)

    async def wait_for(self, text: str, timeout: float = 10.0) -> str:
        """Read the screen until text appears after what earlier waits consumed; return the
        screen from there to the end of text."""
        loop = asyncio.get_running_loop()
        wanted = text.encode()
        async with asyncio.timeout(timeout):
            while (at := self.screen.find(wanted, self._seen)) < 0:
                ready = loop.create_future()
                loop.add_reader(self.master, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_reader(self.master)
                try:
                    self.screen += os.read(self.master, 65536)
                except OSError:  # the program ended and the terminal closed
                    raise ConnectionError(f"closed waiting for {text!r}: "
                                          f"{self.screen[-300:]!r}") from None
        start, self._seen = self._seen, at + len(wanted)
        return self.screen[start:self._seen].decode("utf-8", "replace")

    def type(self, keys: str) -> None:
        """Keys as typed at the keyboard: Enter is a carriage return."""
        os.write(self.master, keys.replace("\n", "\r").encode())

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.master)


async def test_stock_telnet_signs_up_walks_and_says(server: ServerProcess) -> None:
    program = stock_telnet()
    name = new_name()
    term = await Terminal.run(program, "127.0.0.1", str(server.port))
    try:
        await term.wait_for("Username: ")
        term.type(f"{name}\n")
        await term.wait_for("Create it? (yes/no) ")
        term.type("yes\n")
        await term.wait_for("Choose a password: ")
        term.type(f"{PASSWORD}\n")
        await term.wait_for("Repeat the password: ")
        term.type(f"{PASSWORD}\n")
        await term.wait_for("Email address: ")
        term.type(f"{name}@example.com\n")
        await term.wait_for("Character name: ")
        term.type(f"{name}\n")
        await term.wait_for(f"Welcome, {name.capitalize()}.")
        await term.wait_for("> ")
        term.type("north\n")
        await term.wait_for("Market Street")
        await term.wait_for("> ")
        term.type("say hello from telnet\n")
        await term.wait_for("You say, 'hello from telnet'")
        term.type("quit\n")
        await term.wait_for("Goodbye")
        await term.wait_for("Connection closed by foreign host.")
    finally:
        await term.close()
    screen = term.screen.decode("utf-8", "replace")
    assert PASSWORD not in screen, "the password was echoed"
    assert "^M" not in screen and "^@" not in screen, "Enter is shown, not acted on"
    # the typed line is echoed by the terminal and Enter starts a fresh line at the left edge
    # (in character or binary mode it would step down without returning: a staircase)
    assert re.search(rf"Username: {name}\r\n", screen), screen[:800]
    rows = await query(server.database_url,
                       "SELECT current_room_id FROM characters WHERE name = %s",
                       name.capitalize())
    assert rows == [("market_street",)], "the walk was saved when telnet quit"
