"""The link protocol between a gateway and the world.

A frame is a 4-byte big-endian length and that many bytes of msgpack: an array of messages,
each an array whose first element is the message's kind. Messages sent in one turn of the event
loop go out in one frame, so a say to a crowd of 1,000 players on one gateway is one write.

The conversation opens with a handshake, the world speaking first:

    world   -> ["hello", VERSION, nonce]
    gateway -> ["auth", VERSION, name, hmac_sha256(secret, nonce)]
    world   -> ["welcome", world_id]              (or ["refused", reason], then it closes)

The HMAC proves the gateway knows MUD_LINK_SECRET without sending it; over the Unix socket in
the data folder (mode 0600) the secret may be empty. A different VERSION is refused with a
reason naming both versions. The messages after the handshake are listed in LINK.md, beside
this file.

Neither side ever waits for the other to read: what is written is queued in the transport, and
a peer more than MAX_BUFFERED bytes behind is cut off (a gateway's players then go link-dead
in the world; a world is reconnected to).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import ssl
import struct
from collections.abc import Callable
from typing import Any

import msgpack

from mud.config import is_tcp

log = logging.getLogger("mud.link")

VERSION = 1
MAX_FRAME = 16 << 20  # bytes in one frame: far above a turn's output
MAX_BUFFERED = 64 << 20  # bytes queued for a peer that does not read before it is cut off
HANDSHAKE_TIMEOUT = 5.0
_LENGTH = struct.Struct(">I")

Message = list[Any]


class LinkRefused(Exception):
    """The other side refused the handshake (wrong secret, other version) or broke it."""


class LinkClosed(Exception):
    """The other side went away."""


def _signature(secret: str, nonce: bytes) -> bytes:
    return hmac.new(secret.encode(), nonce, hashlib.sha256).digest()


class Link:
    """One end of a link: messages out (batched per loop turn) and in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 peer: str = "?") -> None:
        self._reader = reader
        self._writer = writer
        self._loop = asyncio.get_running_loop()  # kept: looking it up is a getpid() call
        self.peer = peer  # the other side's name, for logs
        self._out: list[Message] = []
        self._early: list[Message] = []  # what came with the handshake's last message
        self._flush_pending = False
        self.closed = False
        self.on_close: Callable[[], None] | None = None
        self.sent_frames = 0
        self.sent_bytes = 0

    # -- out --------------------------------------------------------------------------------------

    def send(self, *message: Any) -> None:
        """Queue a message; everything queued in one loop turn goes out as one frame."""
        if self.closed:
            return
        self._out.append(list(message))
        if not self._flush_pending:
            self._flush_pending = True
            self._loop.call_soon(self.flush)

    def flush(self) -> None:
        self._flush_pending = False
        if not self._out or self.closed:
            return
        batch, self._out = self._out, []
        try:
            body = msgpack.packb(batch, use_bin_type=True)
        except (TypeError, ValueError):  # a value msgpack cannot hold: lose that message only
            body = self._pack_each(batch)
        transport = self._writer.transport
        if transport.is_closing():  # the peer is gone (uvloop raises on a write now)
            return
        if transport.get_write_buffer_size() > MAX_BUFFERED:
            log.warning("event=link_peer_too_slow peer=%s buffered=%d", self.peer,
                        transport.get_write_buffer_size())
            self.close()
            return
        self._writer.write(_LENGTH.pack(len(body)) + body)
        self.sent_frames += 1
        self.sent_bytes += len(body) + 4

    def _pack_each(self, batch: list[Message]) -> bytes:
        kept = []
        for message in batch:
            try:
                msgpack.packb(message, use_bin_type=True)
            except (TypeError, ValueError) as exc:
                log.error("event=link_message_dropped peer=%s kind=%r error=%r", self.peer,
                          message[0], exc)
                continue
            kept.append(message)
        return msgpack.packb(kept, use_bin_type=True)

    # -- in ---------------------------------------------------------------------------------------

    async def receive(self) -> list[Message]:
        """The next frame's messages. Raises LinkClosed when the other side has gone."""
        if self._early:
            early, self._early = self._early, []
            return early
        try:
            head = await self._reader.readexactly(_LENGTH.size)
            (size,) = _LENGTH.unpack(head)
            if size > MAX_FRAME:
                raise LinkClosed(f"frame of {size} bytes is over the limit")
            body = await self._reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise LinkClosed(str(exc) or "end of stream") from exc
        try:
            batch = msgpack.unpackb(body, raw=False, strict_map_key=False)
        except (ValueError, msgpack.UnpackException) as exc:
            raise LinkClosed(f"malformed frame: {exc!r}") from exc
        if not isinstance(batch, list) or not all(isinstance(m, list) and m for m in batch):
            raise LinkClosed("a frame that is not a list of messages")
        return batch

    async def receive_one(self, kind: str) -> Message:
        """The next message, which must be of kind (handshake); messages that came with it
        are kept for receive."""
        batch = await self.receive()
        if batch[0][0] != kind:
            if batch[0][0] == "refused":
                raise LinkRefused(str(batch[0][1]) if len(batch[0]) > 1 else "refused")
            raise LinkRefused(f"expected {kind!r}, got {batch[0][0]!r}")
        self._early = batch[1:]
        return batch[0]

    def close(self) -> None:
        if self.closed:
            return
        self.flush()
        self.closed = True
        self._writer.close()
        if self.on_close is not None:
            self.on_close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()


# -- the handshake ------------------------------------------------------------------------------

async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, secret: str,
                 world_id: str) -> Link:
    """The world's side: challenge, check, welcome. Raises LinkRefused (the link is closed)."""
    link = Link(reader, writer)
    nonce = os.urandom(16)
    try:
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            link.send("hello", VERSION, nonce)
            _, version, name, signature = (await link.receive_one("auth") + [None] * 4)[:4]
    except (TimeoutError, LinkClosed, ValueError) as exc:
        link.close()
        raise LinkRefused(f"no handshake: {exc!r}") from exc
    link.peer = str(name)[:60]
    reason = None
    if version != VERSION:
        reason = f"link version {version} is not the world's version {VERSION}"
    elif not isinstance(signature, bytes) or not hmac.compare_digest(
            signature, _signature(secret, nonce)):
        reason = "wrong link secret (MUD_LINK_SECRET differs from the world's)"
    if reason is not None:
        link.send("refused", reason)
        link.close()
        raise LinkRefused(reason)
    link.send("welcome", world_id)
    return link


async def connect(address: str, secret: str, name: str, tls: ssl.SSLContext | None = None
                  ) -> tuple[Link, str]:
    """The gateway's side: open address (a Unix socket path, or host:port, over TLS when tls
    is given), answer the challenge. Returns the link and the world's id. Raises OSError when
    nothing listens there, TLS fails (ssl.SSLError) or the handshake breaks off, LinkRefused
    when the world refuses."""
    if not is_tcp(address):
        reader, writer = await asyncio.open_unix_connection(address, limit=MAX_FRAME)
    else:
        host, _, port = address.rpartition(":")
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            reader, writer = await asyncio.open_connection(host.strip("[]"), int(port),
                                                           limit=MAX_FRAME, ssl=tls)
    link = Link(reader, writer, address)
    try:
        async with asyncio.timeout(HANDSHAKE_TIMEOUT):
            _, version, nonce = (await link.receive_one("hello") + [None] * 3)[:3]
            if version != VERSION:
                raise LinkRefused(f"the world speaks link version {version}, this gateway "
                                  f"{VERSION}: run the same release on both")
            link.send("auth", VERSION, name, _signature(secret, nonce))
            _, world_id = await link.receive_one("welcome")
    except (TimeoutError, LinkClosed, ValueError) as exc:  # the world went away meanwhile
        link.close()
        raise ConnectionError(f"handshake failed: {exc!r}") from exc
    except LinkRefused:
        link.close()
        raise
    return link, str(world_id)
