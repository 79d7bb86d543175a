"""The link between gateways and the world (mud/link/protocol.py) over real sockets: the
handshake and its refusals, frames batched per loop turn, and input that is not a frame."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import ssl
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import msgpack
import pytest
import pytest_asyncio

from mud.config import Settings
from mud.link import protocol
from mud.link.protocol import Link, LinkClosed, LinkRefused, accept, connect
from mud.net.tls import TlsSetupError, link_client_context, link_server_context, make_self_signed

Accepted = asyncio.Queue[Link | Exception]


def accepting(accepted: Accepted) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter],
                                            Awaitable[None]]:
    """A world's side of each connection, with the secret 's3cret': what the connection became
    (a link, or why it was refused) is put on accepted."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            accepted.put_nowait(await accept(reader, writer, "s3cret", "world-1"))
        except LinkRefused as exc:
            accepted.put_nowait(exc)

    return serve


@pytest_asyncio.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[str, Accepted]]:
    """A world's listener on a Unix socket with the secret 's3cret'; what each connection
    became (a link, or why it was refused) is put on the queue."""
    accepted: Accepted = asyncio.Queue()

    path = str(tmp_path / "link.sock")
    server = await asyncio.start_unix_server(accepting(accepted), path=path)
    yield path, accepted
    server.close()


async def test_a_gateway_with_the_secret_is_welcomed_and_messages_flow(world) -> None:
    path, accepted = world
    gateway, world_id = await connect(path, "s3cret", "gateway-a")
    link = await asyncio.wait_for(accepted.get(), 5)
    assert isinstance(link, Link) and link.peer == "gateway-a" and world_id == "world-1"
    frames = gateway.sent_frames
    for n in range(3):  # one loop turn: one frame
        gateway.send("input", 7, f"say {n}")
    assert await link.receive() == [["input", 7, f"say {n}"] for n in range(3)]
    assert gateway.sent_frames == frames + 1
    link.send("out", 7, "You say, 'héllo' {red}", "> ", None)
    link.send("gmcp", 7, "Char.Vitals", {"hp": 10})
    assert await gateway.receive() == [["out", 7, "You say, 'héllo' {red}", "> ", None],
                                       ["gmcp", 7, "Char.Vitals", {"hp": 10}]]
    gateway.close()
    with pytest.raises(LinkClosed):
        await link.receive()


async def test_a_wrong_secret_is_refused_with_a_reason(world) -> None:
    path, accepted = world
    with pytest.raises(LinkRefused, match="wrong link secret"):
        await connect(path, "guess", "gateway-b")
    assert isinstance(await accepted.get(), LinkRefused)


class RawGateway:
    """A gateway written by hand: frames in and out of a plain socket, read only when asked."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def open(cls, path: str) -> RawGateway:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, path)
        return cls(sock)

    async def read(self) -> list:
        loop = asyncio.get_running_loop()
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = await loop.sock_recv(self.sock, 65536)
            assert chunk, "closed"
            data += chunk
        return msgpack.unpackb(data[4:], raw=False)

    async def write(self, *messages: list) -> None:
        body = msgpack.packb(list(messages), use_bin_type=True)
        await asyncio.get_running_loop().sock_sendall(self.sock,
                                                      struct.pack(">I", len(body)) + body)

    async def handshake(self, version: int = protocol.VERSION) -> list:
        [[_, _, nonce]] = await self.read()
        signature = hmac.new(b"s3cret", nonce, hashlib.sha256).digest()
        await self.write(["auth", version, "raw", signature])
        return await self.read()


async def test_another_version_is_refused_naming_both(world) -> None:
    path, accepted = world
    gateway = await RawGateway.open(path)
    [[kind, reason]] = await gateway.handshake(version=protocol.VERSION + 1)
    assert kind == "refused"
    assert reason == (f"link version {protocol.VERSION + 1} is not the world's version "
                      f"{protocol.VERSION}")
    assert isinstance(await accepted.get(), LinkRefused)
    gateway.sock.close()


@pytest.mark.parametrize("garbage", [
    b"GET / HTTP/1.1\r\n\r\n",  # not a frame: a length of over a gigabyte
    struct.pack(">I", 3) + b"\xc1\xc1\xc1",  # msgpack's never-used byte
    struct.pack(">I", 1) + msgpack.packb(7),  # a frame that is not a list of messages
])
async def test_input_that_is_no_handshake_is_refused(world, garbage: bytes) -> None:
    path, accepted = world
    _reader, writer = await asyncio.open_unix_connection(path)
    writer.write(garbage)
    refused = await asyncio.wait_for(accepted.get(), 10)
    assert isinstance(refused, LinkRefused)
    writer.close()


async def test_a_bad_frame_after_the_handshake_closes_the_link(world) -> None:
    path, accepted = world
    gateway, _ = await connect(path, "s3cret", "gateway-d")
    link = await accepted.get()
    assert isinstance(link, Link)
    gateway._writer.write(struct.pack(">I", protocol.MAX_FRAME + 1))
    with pytest.raises(LinkClosed, match="over the limit"):
        await link.receive()


async def test_a_message_msgpack_cannot_hold_is_dropped_alone(world) -> None:
    path, accepted = world
    gateway, _ = await connect(path, "s3cret", "gateway-e")
    link = await accepted.get()
    assert isinstance(link, Link)
    link.send("out", 1, "kept", "", None)
    link.send("console", 2, {"when": object()})
    link.send("out", 1, "kept too", "", None)
    assert [m[2] for m in await gateway.receive()] == ["kept", "kept too"]


async def test_a_peer_that_stops_reading_is_cut_off(world, monkeypatch) -> None:
    path, accepted = world
    monkeypatch.setattr(protocol, "MAX_BUFFERED", 1 << 16)
    gateway = await RawGateway.open(path)
    assert (await gateway.handshake())[0][0] == "welcome"
    link = await accepted.get()
    assert isinstance(link, Link)
    closed: list[bool] = []
    link.on_close = lambda: closed.append(True)
    text = "x" * 60_000
    for _ in range(200):  # the gateway reads nothing
        link.send("out", 1, text, "", None)
        await asyncio.sleep(0)
        if closed:
            break
    assert closed and link.closed, "the world went on queueing for a gateway that reads nothing"
    gateway.sock.close()



# -- TLS on the TCP link ---------------------------------------------------------------------


@pytest_asyncio.fixture
async def tls_world(tmp_path: Path) -> AsyncIterator[tuple[str, Path, Accepted]]:
    """A world's TCP listener over TLS, set up from MUD_LINK_TLS_CERT and MUD_LINK_TLS_KEY (a
    self-signed certificate naming 127.0.0.1); yields its address, the certificate, and what
    each connection became."""
    cert, key = tmp_path / "link.pem", tmp_path / "link.key"
    await make_self_signed(cert, key)
    settings = Settings.load(environ={"MUD_LINK_TLS_CERT": str(cert),
                                      "MUD_LINK_TLS_KEY": str(key)})
    accepted: Accepted = asyncio.Queue()

    server = await asyncio.start_server(accepting(accepted), "127.0.0.1", 0,
                                        ssl=link_server_context(settings))
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}", cert, accepted
    server.close()


def trusting(cert: Path) -> ssl.SSLContext | None:
    """A gateway's TLS, from its MUD_LINK_TLS_CERT."""
    return link_client_context(Settings.load(environ={"MUD_LINK_TLS_CERT": str(cert)}))


async def test_over_tls_a_gateway_that_trusts_the_worlds_certificate_links(tls_world) -> None:
    address, cert, accepted = tls_world
    gateway, world_id = await connect(address, "s3cret", "gateway-a", trusting(cert))
    link = await asyncio.wait_for(accepted.get(), 5)
    assert isinstance(link, Link) and world_id == "world-1"
    gateway.send("input", 7, "say héllo")
    assert await link.receive() == [["input", 7, "say héllo"]]
    link.send("out", 7, "You say, 'héllo'", "> ", None)
    assert await gateway.receive() == [["out", 7, "You say, 'héllo'", "> ", None]]
    gateway.close()


async def test_over_tls_another_certificate_or_none_gets_no_link(tls_world, tmp_path: Path,
                                                                 monkeypatch) -> None:
    address, _, accepted = tls_world
    other, other_key = tmp_path / "other.pem", tmp_path / "other.key"
    await make_self_signed(other, other_key)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        await connect(address, "s3cret", "gateway-b", trusting(other))
    monkeypatch.setattr(protocol, "HANDSHAKE_TIMEOUT", 0.5)
    with pytest.raises(ConnectionError, match="handshake failed"):  # plain text to a TLS port
        await connect(address, "s3cret", "gateway-c")
    assert accepted.empty()


def test_a_world_with_a_link_certificate_but_no_key_says_what_is_missing(tmp_path) -> None:
    settings = Settings.load(environ={"MUD_LINK_TLS_CERT": str(tmp_path / "link.pem")})
    with pytest.raises(TlsSetupError, match="MUD_LINK_TLS_KEY is not"):
        link_server_context(settings)
    assert link_server_context(Settings.load(environ={})) is None
