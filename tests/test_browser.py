"""The web client in a real headless Chromium (Debian's chromium and chromium-driver, driven by
Selenium): a new player makes an account, walks by clicking exits, fights and rests with the
health bar following, talks with a telnet player, and plays on after its socket is cut. The
browser reaches the server through a proxy the test can cut, as a lost network would.
Screenshots of the client in play are left in test-artifacts/ to look at."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.conftest import PASSWORD, ServerProcess, free_port, join, new_name

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


def chromium() -> tuple[str, str]:
    """Chromium and its driver; the test skips without them, except in CI (where .ci/run
    installs them)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run must install it (apt-get install "
                        "chromium chromium-driver)")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    return browser, driver


class CuttableProxy:
    """A TCP forwarder to the web listener whose connections the test can cut at once."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def cut(self) -> None:
        """Drop every connection now, without a close handshake."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


class Browser:
    """Selenium's Chrome driver, each call in a thread of its own so that the event loop (the
    proxy, the telnet players) runs while the browser waits."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def call(self, work: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(work, *args)

    async def until(self, condition: Callable[[Any], Any], timeout: float = 15.0) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return await self.call(lambda: WebDriverWait(self.driver, timeout, 0.05).until(
            condition, "the page did not get there"))

    async def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return await self.until(lambda d: d.find_element(By.CSS_SELECTOR, css))

    async def text(self, css: str) -> str:
        element = await self.find(css)
        return await self.call(lambda: element.text)

    async def attribute(self, css: str, name: str) -> str | None:
        element = await self.find(css)
        return await self.call(element.get_attribute, name)

    async def wait_text(self, css: str, text: str, timeout: float = 15.0) -> str:
        """Wait until the element's text holds text; its whole text."""
        from selenium.webdriver.common.by import By

        def holds(driver: Any) -> str | bool:  # hidden text too (a tab not shown)
            found = driver.find_element(By.CSS_SELECTOR, css).get_attribute("textContent")
            return found if text in found else False

        return await self.until(holds, timeout)

    async def type(self, line: str) -> None:
        """Type a line into the input and press Enter."""
        from selenium.webdriver.common.keys import Keys

        field = await self.find("#input")
        await self.call(field.send_keys, line + Keys.ENTER)

    async def click(self, css: str) -> None:
        element = await self.find(css)
        await self.call(element.click)

    async def vital(self, bar: str) -> int:
        return int(float(await self.attribute(f"#{bar}-bar", "aria-valuenow") or -1))

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        await self.call(self.driver.save_screenshot, str(path))
        return path

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE"]


@pytest_asyncio.fixture(scope="module")
async def web(make_database, tmp_path_factory, redis_url) -> AsyncIterator[ServerProcess]:
    """A server with a web listener; ticks every 0.5 s, so fights and rests are quick."""
    server = await ServerProcess(
        make_database(), tmp_path_factory.mktemp("browser") / "server.log",
        redis_url=redis_url, extra_env={"MUD_WEB_PORT": str(free_port()),
                                        "MUD_TICK_INTERVAL": "0.5"}).start()
    yield server
    await server.stop()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    binary, driver_path = chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    profile = tempfile.mkdtemp(prefix="mud-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,860"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = await asyncio.to_thread(webdriver.Chrome, options=options,
                                     service=Service(driver_path))
    try:
        yield Browser(driver)
    finally:
        await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)


def health(driver: Any) -> int:
    return int(float(driver.find_element("css selector", "#hp-bar")
                     .get_attribute("aria-valuenow") or 0))


def dead_rats(driver: Any) -> int:
    return driver.find_element("css selector", "#output").get_attribute(
        "textContent").count("A cellar rat is dead!")


async def sign_up(browser: Browser, name: str) -> None:
    """Make an account and a character question by question, as a new player would."""
    await browser.wait_text("#prompt", "Username:")
    await browser.type(name)
    await browser.wait_text("#prompt", "Create it?")
    await browser.type("yes")
    await browser.wait_text("#prompt", "Choose a password:")
    assert await browser.attribute("#input", "type") == "password"
    await browser.type(PASSWORD)
    await browser.wait_text("#prompt", "Repeat the password:")
    await browser.type(PASSWORD)
    await browser.wait_text("#prompt", "Email address:")
    assert await browser.attribute("#input", "type") == "text"
    await browser.type(f"{name}@example.com")
    await browser.wait_text("#prompt", "Character name:")
    await browser.type(name)
    await browser.wait_text("#room-name", "Village Square")


async def test_a_new_player_plays_in_the_browser(web: ServerProcess, browser: Browser) -> None:
    proxy = await CuttableProxy(web.web_port or 0).start()
    telnet, telnet_name = await join(web)
    name = new_name()
    try:
        await browser.call(browser.driver.get, f"http://127.0.0.1:{proxy.port}/")
        await sign_up(browser, name)
        assert PASSWORD not in await browser.text("#output")  # never echoed
        assert await browser.vital("hp") == 100

        # talk with a telnet player in the same room, and on a channel
        await telnet.drain()
        await browser.type("say hello from a browser")
        await telnet.expect(f"{name.capitalize()} says, 'hello from a browser'")
        await telnet.command("say hello from telnet")
        await browser.wait_text("#output", f"{telnet_name.capitalize()} says, 'hello from "
                                           "telnet'")
        await telnet.command("chat anyone for the cellar?")
        await browser.wait_text("#channels", "anyone for the cellar?")
        assert await browser.text("#channels-unread") == "1"
        await browser.click("#tab-channels")
        assert "[chat] " in await browser.text("#channels")
        await browser.click("#tab-game")

        # walk to the inn's cellar by clicking exits; the map draws each room visited
        for exit_, room in (("north", "Market Street"), ("west", "The Drowned Lantern Inn"),
                            ("down", "Inn Cellar")):
            await browser.click(f'#exits button[data-exit="{exit_}"]')
            await browser.wait_text("#room-name", room)
        rooms = await browser.call(lambda: browser.driver.find_elements(
            "css selector", "#map g[data-room]"))
        assert len(rooms) == 4

        # fight rats until one draws blood: the bar falls (nothing heals during a fight);
        # the fight over, resting, it rises again
        fell = False
        for kills in range(1, 4):
            await browser.type("kill rat")
            await browser.until(lambda d, k=kills: health(d) < 100 or dead_rats(d) >= k)
            fell = await browser.call(health, browser.driver) < 100
            await browser.until(lambda d, k=kills: dead_rats(d) >= k)
            if fell:
                break
        assert fell, "three rats and not a scratch"
        hurt = await browser.call(health, browser.driver)
        await browser.type("rest")
        await browser.until(lambda d: health(d) > hurt)
        await browser.screenshot("web-client-desktop.png")

        # the network drops: the client reconnects by itself and plays on, no password asked
        proxy.cut()
        await browser.until(lambda d: d.find_element(
            "css selector", "#connection").get_attribute("data-state") == "reconnecting")
        await browser.until(lambda d: d.find_element(
            "css selector", "#connection").get_attribute("data-state") == "open")
        await browser.wait_text("#output", "Welcome back")
        await browser.type("look")
        await browser.wait_text("#room-name", "Inn Cellar")
        assert "Username:" not in await browser.text("#prompt")
        assert not browser.console_errors()
    finally:
        await proxy.close()
        await telnet.close()


async def test_the_client_fits_a_phone(web: ServerProcess, browser: Browser) -> None:
    await browser.call(browser.driver.set_window_size, 390, 844)
    await browser.call(browser.driver.get, web.web_url)
    name = new_name()
    await sign_up(browser, name)
    # the exits stay within reach, the input line on screen
    width = await browser.call(lambda: browser.driver.execute_script(
        "return document.documentElement.scrollWidth"))
    assert width <= 390
    field = await browser.find("#input")
    assert await browser.call(lambda: field.is_displayed())
    await browser.screenshot("web-client-phone.png")
    # the input line keeps a history: Up brings the last command back
    from selenium.webdriver.common.keys import Keys

    await browser.type("score")
    await browser.wait_text("#output", "normal rank")
    await browser.call(field.send_keys, Keys.ARROW_UP)
    assert await browser.call(field.get_attribute, "value") == "score"
    await browser.call(field.clear)
    # screen-reader mode: new text is read out through the live region, the bars are words
    await browser.click("#settings-toggle")
    await browser.click("#set-screen-reader")
    await browser.click("#settings button[value=close]")
    await browser.type("look")
    await browser.wait_text("#live", "Village Square")
    assert "Health 100 of 100" in await browser.attribute("#hp-bar .bar-text", "textContent")
    await browser.type("quit")
    await browser.until(lambda d: d.find_element(
        "css selector", "#connection").get_attribute("data-state") == "closed")
