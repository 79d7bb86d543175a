"""Socials and the ways of talking beside `say`, in memory on the bundled world: a social alone,
at someone, at a monster and at oneself; whisper and shout; ignore, afk and title. That they are
kept with the character is tested end to end (tests/test_kept_settings.py)."""

from __future__ import annotations

from pathlib import Path

from mud.commands import REGISTRY
from mud.game.socials import social_lines
from mud.world.socials import MESSAGES, Social, parse_social
from tests.harness import Harness, bundled_world


async def test_a_social_alone_at_someone_at_a_monster_and_at_oneself() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    assert "You smile happily." in await alice.run("smile")
    assert bob.output[-1] == carol.output[-1] == "Alice smiles happily."

    assert "You bow before Bob." in await alice.run("bow bob")
    assert bob.output[-1] == "Alice bows before you."
    assert carol.output[-1] == "Alice bows before Bob."

    assert "You hug yourself." in await alice.run("hug self")
    assert bob.output[-1] == "Alice hugs themselves."
    told = len(bob.output)
    assert "Hug whom?" in await alice.run("hug")  # it needs a target: the room reads nothing
    assert len(bob.output) == told
    assert "There is no one called 'zed' here." in await alice.run("smile zed")
    assert "You poke at the air where zed is not." in await alice.run("poke zed")

    rat = harness.player("Dave", room="inn_cellar")
    assert "You poke a cellar rat in the ribs." in await rat.run("poke rat")
    assert "Unknown command 'smil'" in await rat.run("smil")  # a social is typed whole


def test_the_bundled_socials_are_many_and_shadow_no_command() -> None:
    socials = bundled_world().socials
    assert len(socials) >= 30
    names = {c.name for c in REGISTRY.visible("admin")} | {
        alias for c in REGISTRY.visible("admin") for alias in c.aliases}
    assert not names & set(socials)
    assert social_lines(socials["smile"], "Ann", "Bob") == social_lines(
        Social("smile", "", "", "You smile at $N.", "$n smiles at you.", "$n smiles at $N.",
               "", ""), "Ann", "Bob")


def test_a_social_naming_the_wrong_people_is_refused_with_the_key() -> None:
    problems: list[str] = []
    data = {key: "You do it." for key in MESSAGES} | {"id": "do", "at_room": "$n does it.",
                                                       "alone": "You $x."}
    parse_social(lambda entry, message: problems.append(message), "social #1 (do)", data)
    assert "'alone' may use only $n (who acts) and $N (who is acted on)" in problems
    assert "'alone_room' must name $n" in problems
    assert "'at_room' must name $N" in problems
    assert "'at' must name $N" in problems
    problems.clear()
    parse_social(lambda entry, message: problems.append(message), "social #2 (do)",
                 data | {"alone": "You do.", "at_room": "$n does it to $N.",
                         "not_found": "No $N here."})
    assert "'not_found' may use only $T (the name typed)" in problems


async def test_whisper_and_shout() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    far = harness.player("Dave", room="road_gatehouse")  # another zone
    assert "You whisper to Bob, 'the key is under the mat'" in await alice.run(
        "whisper bob the key is under the mat")
    assert bob.output[-1] == "Alice whispers to you, 'the key is under the mat'"
    assert carol.output[-1] == "Alice whispers something to Bob."
    assert "There is no one called 'dave' here." in await alice.run("whisper dave hi")

    await bob.run("north")
    assert "You shout, 'Rats in the cellar!'" in await alice.run("yell Rats in the cellar!")
    assert bob.output[-1] == carol.output[-1] == "Alice shouts, 'Rats in the cellar!'"
    assert "Rats in the cellar" not in far.heard()


async def test_an_ignored_player_is_not_read() -> None:
    harness = Harness()
    alice, bob, carol = harness.player("Alice"), harness.player("Bob"), harness.player("Carol")
    assert "You now ignore Alice." in await bob.run("ignore alice")
    since = len(bob.output)
    for line in ("say hello", ":waves.", "smile", "smile bob", "whisper bob psst", "shout hey"):
        await alice.run(line)
    assert bob.heard(since) == ""
    assert "Alice says, 'hello'" in carol.heard()
    assert "Alice smiles at Bob." in carol.heard()
    assert "Bob is ignoring you." in await alice.run("tell bob hello")
    assert "You ignore Alice." in await bob.run("ignore")
    assert "You cannot ignore yourself." in await bob.run("ignore bob")
    assert "You no longer ignore Alice." in await bob.run("ignore alice")
    await alice.run("say again")
    assert bob.output[-1] == "Alice says, 'again'"
    assert harness.game.characters[bob.ch.id].ignoring == ()


async def test_afk_is_shown_answers_tells_and_ends_with_the_next_command() -> None:
    harness = Harness()
    alice, bob = harness.player("Alice"), harness.player("Bob")
    assert "You are away: making tea" in await bob.run("afk making tea")
    assert "Bob (away)" in await alice.run("who")
    told = await alice.run("tell bob are you there?")
    assert "You tell Bob, 'are you there?'" in told and "Bob is away: making tea" in told
    assert "You are back." in await bob.run("look")
    assert bob.ch.afk is None and "(away)" not in await alice.run("who")


async def test_a_title_is_shown_in_who() -> None:
    harness = Harness()
    alice = harness.player("Alice")
    assert "You have no title." in await alice.run("title")
    assert "You are now Alice the Wanderer." in await alice.run("title the   Wanderer")
    assert "[ normal] Alice the Wanderer" in await alice.run("who")
    assert "at most 40 characters" in await alice.run("title " + "x" * 41)
    assert "Your title is cleared." in await alice.run("title clear")
    assert alice.ch.title is None


def test_the_socials_file_is_documented_for_builders() -> None:
    head = (Path(__file__).resolve().parent.parent / "world" / "socials.toml").read_text()[:1500]
    for key in MESSAGES:
        assert f"#   {key} " in head
