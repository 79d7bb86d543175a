"""The `mud` command line: help, world validation, migrations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mud.store.migrations import discover
from tests.conftest import query

WORLD = Path(__file__).resolve().parent.parent / "world"


def mud(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", "mud", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("command", ["serve", "migrate", "check-world", "set-role", "console",
                                     "export-world"])
def test_every_command_has_help(command: str) -> None:
    result = mud(command, "--help")
    assert result.returncode == 0
    assert "usage: mud" in result.stdout


def test_check_world_accepts_the_bundled_world() -> None:
    result = mud("check-world")
    assert result.returncode == 0, result.stderr
    assert "world OK" in result.stdout


def test_check_world_reports_file_and_entry(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    zone = world / "zones" / "greywater.toml"
    text = zone.read_text().replace('north = "market_street"', 'north = "nowhere_room"', 1)
    text += '\n[[room]]\nid = "village_square"\nname = "Again"\ndescription = "Twice."\n'
    text += 'items = [ { item = "unobtainium" } ]\n'
    zone.write_text(text)
    result = mud("check-world", "--world-dir", str(world))
    assert result.returncode == 1
    assert "zones/greywater.toml: room village_square: exit 'north' leads to unknown room " \
           "'nowhere_room'" in result.stderr
    assert "duplicate room id 'village_square'" in result.stderr
    (world / "items.toml").write_text('[[item]]\nid = "Bad Id"\nkind = "pebble"\n')
    result = mud("check-world", "--world-dir", str(world))
    assert "items.toml: item #1 (Bad Id): id 'Bad Id' must be lowercase" in result.stderr
    assert "'kind' is 'pebble'; it must be one of" in result.stderr


def test_check_world_reports_essence_problems(tmp_path: Path) -> None:
    world = tmp_path / "world"
    shutil.copytree(WORLD, world)
    essences = world / "essences.toml"
    text = essences.read_text().replace('favours = "power"', 'favours = "luck"', 1)
    text = text.replace('cooldown = 4', 'cooldown = "soon"', 1)
    text += '\n[[confluence]]\nessences = ["stone", "gale", "nothing"]\nresult = "stone"\n'
    essences.write_text(text)
    result = mud("check-world", "--world-dir", str(world))
    assert result.returncode == 1
    assert "essences.toml: essence #1 (stone): 'favours' is 'luck'" in result.stderr
    assert "'cooldown' must be a whole number" in result.stderr
    assert "'nothing' is not a bondable essence" in result.stderr
    assert "result 'stone' is not a confluence essence" in result.stderr


async def test_migrate_applies_each_migration_once(make_database) -> None:
    url = make_database()
    first = mud("migrate", "--database-url", url)
    assert first.returncode == 0, first.stderr
    every = discover()
    assert f"{len(every)} migration(s) applied" in first.stdout
    second = mud("migrate", "--database-url", url)
    assert "0 migration(s) applied" in second.stdout
    rows = await query(url, "SELECT version, name FROM schema_migrations ORDER BY version")
    assert rows == [(m.version, m.name) for m in every]
    assert rows[:2] == [(1, "initial"), (2, "data_migrations")]


async def test_set_role_makes_an_admin(make_database) -> None:
    url = make_database()
    assert mud("migrate", "--database-url", url).returncode == 0
    await query(url, "INSERT INTO players (username, email, password_hash)"
                     " VALUES ('Boss', 'boss@example.com', 'x')")
    assert mud("set-role", "boss", "admin", "--database-url", url).returncode == 0
    assert await query(url, "SELECT role FROM players") == [("admin",)]
    missing = mud("set-role", "nobody", "admin", "--database-url", url)
    assert missing.returncode == 1 and "no account named" in missing.stderr
