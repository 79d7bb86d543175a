"""The operator console of a gateway: its commands are the world's, handed over the link and
answered there. While the world is away the gateway answers `status` (with why the world is
down) and `reboot` itself, so the operator can see a failed start and try again."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mud.console.commands import Result

if TYPE_CHECKING:
    from mud.gateway.server import Gateway

log = logging.getLogger("mud.console")

ANSWER_TIMEOUT = 60.0  # seconds a console command may take in the world (a save, a reload)


class GatewayConsole:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.restart: Callable[[], str] | None = None  # the child world's, under role `all`
        self.world_problem: Callable[[], str | None] = lambda: None  # why the world is down

    async def run(self, name: str, args: str) -> Result:
        word = name.lower()
        link = self.gateway.link
        if word == "reboot" and (link is None or self.gateway.rebooting):
            return self._restart_now()
        if link is None:
            if word == "status":
                return self._status_without_world()
            return Result(False, f"The world is not running ({self._why()}); only status and "
                                 "reboot work until it is back.")
        request = next(self._ids)
        future = self._waiting[request] = asyncio.get_running_loop().create_future()
        link.send("console", request, name, args)
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT):
                reply = await future
        except TimeoutError:
            return Result(False, "The world did not answer in time; it may be busy or gone.")
        finally:
            self._waiting.pop(request, None)
        return Result(bool(reply.get("ok")), str(reply.get("text", "")),
                      dict(reply.get("data") or {}))

    def answered(self, request: int, reply: dict[str, Any]) -> None:
        future = self._waiting.get(request)
        if future is not None and not future.done():
            future.set_result(reply)

    def lost(self) -> None:
        """The link dropped: commands waiting for it get no answer."""
        for future in self._waiting.values():
            if not future.done():
                future.set_result({"ok": False, "text": "The world went away before it "
                                                        "answered."})

    def reboot(self, reason: str) -> None:
        """SIGHUP: ask the world to reboot (or start it again if it is down)."""
        link = self.gateway.link
        if link is not None and not self.gateway.rebooting:
            log.warning("event=reboot_requested by=%s", reason)
            link.send("reboot", "")
        else:
            self._restart_now()

    def _restart_now(self) -> Result:
        if self.restart is None:
            return Result(False, "The world is not running, and this gateway does not start "
                                 "it: start `mud serve --role world` where it runs.")
        return Result(True, self.restart())

    def _why(self) -> str:
        return self.world_problem() or "it has not linked to this gateway yet"

    def _status_without_world(self) -> Result:
        gateway = self.gateway
        data = {"world": {"up": False, "problem": self._why()},
                "gateways": [{"gateway": "this", **gateway.figures()}]}
        text = (f"world     DOWN: {self._why()}\n"
                f"gateway   {len(gateway.sessions)} connection(s), players wait for the world")
        return Result(False, text, data)
