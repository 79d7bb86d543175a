"""The playthrough bot (bench/playthrough.py) still reaches iron on the bundled world, on one
seed, inside the window world/README.md promises (45-90 minutes of game time), dying nowhere
on the way: a change to the world or the rules that breaks the path to iron, or makes it
minutes long again, fails here. In memory: well under a second."""

from __future__ import annotations

from bench.playthrough import run


async def test_a_new_player_reaches_iron_in_45_to_90_minutes_without_dying() -> None:
    result = await run(seed=1, boss="")
    assert result.reached_iron
    assert 45 <= result.minutes <= 90, f"iron after {result.minutes:.1f} minutes"
    assert result.deaths == 0
    assert len(result.quests) >= 12
