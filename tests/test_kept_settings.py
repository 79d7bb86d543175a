"""What a player keeps and what a new player sees first: the default prompt shows the pools, the
`prompt` and `color` choices are saved with the character, channel history outlives a restart,
a new character is told where to begin, and names outside a-z are refused saying why."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, join, new_name, query, rejoin, wait_for_rows

FULL_POOLS = "100/100 hp 100/100 mp 100/100 st> "


async def test_the_default_prompt_shows_health_mana_and_stamina(player) -> None:
    client, _ = await player()
    assert (await client.command("look")).endswith("\n" + FULL_POOLS)
    assert "%h/%H hp %m/%M mp %s/%S st> " in await client.command("prompt")
    await client.command("prompt <%h>")
    assert (await client.command("prompt default")).endswith("\n" + FULL_POOLS)


async def test_the_test_client_never_takes_a_login_question_for_the_game_prompt(connect
                                                                             ) -> None:
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"connect {new_name()} {PASSWORD}")
    with pytest.raises(TimeoutError):
        await client.read_prompt(timeout=1.0)
    assert "There is no account" in client.text and client.text.endswith("\nUsername: ")


async def test_prompt_and_colour_are_kept_through_the_cache_and_a_restart(server_factory) -> None:
    server = await server_factory()
    client, name = await join(server)
    await client.command("prompt <%h/%Hhp %r>")
    await client.command("color on")
    await client.quit()
    assert await query(server.database_url, "SELECT prompt, colour FROM characters"
                       " WHERE name = %s", name.capitalize()) == [("<%h/%Hhp %r> ", True)]

    client, welcome = await rejoin(server, name)  # from the Redis cache
    assert "source=cache" in server.log_text().rsplit("event=character_loaded", 1)[-1]
    assert welcome.endswith("\n<100/100hp normal> ")
    assert "\x1b[" in welcome, "colour forced on for a client that announced none"
    await client.command("color auto")
    await client.command("prompt default")
    await client.command("color off")
    await client.close_now()  # link-dead: still saved by the write-behind saver
    await wait_for_rows(server.database_url, "SELECT prompt, colour FROM characters"
                        " WHERE name = %s", name.capitalize(),
                        expect=lambda rows: rows == [(None, False)])
    assert await server.stop() == 0

    again = await server_factory(server.database_url, redis_prefix=server.redis_prefix)
    client, welcome = await rejoin(again, name)  # from PostgreSQL
    assert "source=database" in again.log_text().rsplit("event=character_loaded", 1)[-1]
    assert welcome.endswith("\n" + FULL_POOLS)
    assert "turned off by you" in await client.command("color")


async def test_title_away_ignore_aliases_and_play_settings_are_kept_through_a_restart(
        server_factory) -> None:
    server = await server_factory()
    client, name = await join(server)
    other, other_name = await join(server)
    assert f"You now ignore {other_name.capitalize()}." in await client.command(
        f"ignore {other_name}")
    await client.command("title the Patient")
    for setting in ("alias kr kill rat", "brief", "wimpy 30", "autocoin"):
        await client.command(setting)
    await other.command("chat can anyone hear me?")
    await other.command("say hello there")
    heard = await client.command("look")
    assert "can anyone hear me" not in heard and "hello there" not in heard
    await client.command("afk brewing tea")
    assert f"{name.capitalize()} the Patient (away)" in await other.command("who")
    await client.quit()
    assert await query(server.database_url, "SELECT title, afk, ignoring, brief, wimpy,"
                       " autoloot, autocoin, aliases FROM characters WHERE name = %s",
                       name.capitalize()) == [
        ("the Patient", "brewing tea", [other_name.lower()], True, 30, False, True,
         {"kr": "kill rat"})]
    await other.quit()
    assert await server.stop() == 0

    again = await server_factory(server.database_url, redis_prefix=server.redis_prefix + "x")
    client, _ = await rejoin(again, name)  # from PostgreSQL: the Redis cache is another
    assert "source=database" in again.log_text().rsplit("event=character_loaded", 1)[-1]
    listed = await client.command("ignore")
    assert "You are back." in listed and f"You ignore {other_name.capitalize()}." in listed
    assert "Your title: the Patient" in await client.command("title")
    assert "kr stands for: kill rat" in await client.command("alias kr")
    assert "below 30 health" in await client.command("wimpy")
    assert "Market Street\n[Exits:" in await client.command("north")  # brief


@pytest.mark.parametrize("redis", ["embedded", "external"])
async def test_channel_history_survives_a_restart_with_an_empty_redis(
        server_factory, tmp_path, redis: str) -> None:
    """The embedded Redis starts empty after a restart; an external one may restart empty too
    (a new key prefix stands for that here)."""
    env = {"MUD_DATA_DIR": str(tmp_path / "data")}
    own = {"redis_url": "", "extra_env": env} if redis == "embedded" else {}
    server = await server_factory(**own)
    ann, ann_name = await join(server)
    for n in range(22):
        await ann.command(f"chat line {n}")
    await ann.command("newbie where is the inn?")
    assert await server.stop() == 0

    again = await server_factory(server.database_url, **own)
    bob, bob_name = await join(again)
    speaker = ann_name.capitalize()
    history = await bob.command("chat")
    assert "line 1\n" not in history and f"[chat] {speaker}: line 2\n" in history
    assert history.index("line 2\n") < history.index("line 21\n")
    assert f"[newbie] {speaker}: where is the inn?" in await bob.command("newbie")
    await bob.command("chat and after the restart")
    history = await bob.command("chat")
    assert history.index("line 21\n") < history.index(f"{bob_name.capitalize()}: and after")
    assert "line 2\n" not in history, "still the last 20 lines"
    assert await again.stop() == 0
    rows = await query(server.database_url, "SELECT channel, count(*) FROM channel_history"
                       " GROUP BY channel ORDER BY channel")
    assert rows == [("chat", 20), ("newbie", 1)], "only what the history shows is kept"


async def test_a_new_character_is_told_where_to_begin(server, connect) -> None:
    client, name = await connect(), new_name()
    first = await client.create(name, PASSWORD, f"{name}@example.com")
    assert "New here?" in first
    hint = first.split("New here?")[1]
    assert "Elder Maren" in hint and "quest list" in hint and "'help'" in hint
    assert first.index("Village Square") < first.index("New here?"), "after the room"
    await client.quit()
    back, again = await rejoin(server, name)
    assert "New here?" not in again, "only the first time"
    await back.close()


async def test_a_name_beyond_a_to_z_is_refused_saying_what_is_wrong(connect) -> None:
    client = await connect()
    await client.read_until("Username: ")
    client.send(f"create Éowyn {PASSWORD} eowyn@example.com")
    refusal = await client.read_until("Username: ")
    assert "A username is 3-20 letters a-z" in refusal and "'É' is not one of them" in refusal
    name = new_name()
    client.send(f"create {name} {PASSWORD} {name}@example.com")
    assert "(3-20 letters a-z, nothing else)" in await client.read_until("Character name: ")
    client.send("Éowyn")
    refusal = await client.read_until("Character name: ")
    assert "A character name is 3-20 letters a-z" in refusal
    assert "'É' is not one of them" in refusal and "'Eowyn'" in refusal
    client.send("Eowyn" + name[1:6].lower())
    assert "Welcome, Eowyn" in await client.read_prompt()
