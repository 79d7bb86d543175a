"""A real MUD client against the server: TinTin++ logs in, walks, says something and quits."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ServerProcess, new_name, query

SCRIPT = """\
#config {{log}} {{plain}}
#action {{Username:}} {{create {name} {password} {name}@example.com}}
#action {{Character name:}} {{{name}}}
#action {{Welcome, {Name}.}} {{north;say hello from tintin;quit}}
#action {{Goodbye}} {{#end}}
#session {{mud}} {{127.0.0.1}} {{{port}}}
#log {{overwrite}} {{{log}}}
"""


def tintin() -> str:
    """The tt++ program; the test skips without it, except in CI (where .ci/run installs it)."""
    found = shutil.which("tt++") or shutil.which("tt++", path="/usr/games")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("tt++ is missing in CI: .ci/run must install it (apt-get install tintin++)")
        pytest.skip("TinTin++ is not installed (apt-get install tintin++)")
    return found


async def test_tintin_logs_in_walks_says_and_quits(server: ServerProcess, tmp_path: Path) -> None:
    program = tintin()
    name = new_name().lower()
    log, script = tmp_path / "tintin.log", tmp_path / "script.tin"
    script.write_text(SCRIPT.format(name=name, Name=name.capitalize(), password=PASSWORD,
                                    port=server.port, log=log))
    # TinTin++ needs a terminal (script gives it one) and an open standard input
    proc = await asyncio.create_subprocess_exec(
        "script", "-qfec", f"stty rows 40 cols 120; {program} -G {script}", "/dev/null",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = log.read_text(errors="replace")
    assert f"Welcome, {name.capitalize()}." in text
    assert "Market Street" in text
    assert "You say, 'hello from tintin'" in text
    assert "client='TINTIN++'" in server.log_text()
    rows = await query(server.database_url,
                       "SELECT current_room_id FROM characters WHERE name = %s",
                       name.capitalize())
    assert rows == [("market_street",)], "the walk was saved when TinTin++ quit"
