"""The TLS listener's certificate: the configured pair, or a self-signed one made once in the data
folder with the `openssl` command-line tool (no extra Python dependency)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import ssl
from pathlib import Path

from mud.config import Settings

log = logging.getLogger("mud.net")

CERT_DAYS = 3650


class TlsSetupError(Exception):
    """No certificate could be found or made; the message tells the operator what to do."""


async def make_self_signed(cert: Path, key: Path) -> None:
    """Write a self-signed certificate and its key (P-256, ten years) for this host."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsSetupError("MUD_TLS_PORT is set but there is no certificate: set MUD_TLS_CERT "
                            "and MUD_TLS_KEY, or install the openssl tool to make one.")
    cert.parent.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    tmp_cert, tmp_key = cert.with_name(cert.name + ".tmp"), key.with_name(key.name + ".tmp")
    proc = await asyncio.create_subprocess_exec(
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", str(CERT_DAYS), "-subj", f"/CN={host}",
        "-addext", f"subjectAltName=DNS:{host},DNS:localhost,IP:127.0.0.1",
        "-keyout", str(tmp_key), "-out", str(tmp_cert),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise TlsSetupError(f"openssl could not make a certificate: {err.decode().strip()}")
    os.chmod(tmp_key, 0o600)
    tmp_key.replace(key)
    tmp_cert.replace(cert)
    log.info("event=tls_certificate_made cert=%s host=%s", cert, host)


def link_server_context(settings: Settings) -> ssl.SSLContext | None:
    """The world's TLS for its TCP link port (MUD_LINK_TLS_CERT and MUD_LINK_TLS_KEY), or None."""
    if not settings.link_tls_cert:
        return None
    if not settings.link_tls_key:
        raise TlsSetupError("MUD_LINK_TLS_CERT is set but MUD_LINK_TLS_KEY is not: the world "
                            "needs the certificate's private key to serve the link over TLS.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.link_tls_cert, settings.link_tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the link's TLS certificate {settings.link_tls_cert} "
                            f"and key {settings.link_tls_key}: {exc}") from exc
    return context


def link_client_context(settings: Settings) -> ssl.SSLContext | None:
    """A gateway's TLS to a world on TCP: it trusts MUD_LINK_TLS_CERT (the world's certificate
    or the authority that signed it) and checks that it names the world's host; None: no TLS."""
    if not settings.link_tls_cert:
        return None
    try:
        return ssl.create_default_context(cafile=settings.link_tls_cert)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the link's TLS certificate {settings.link_tls_cert}: "
                            f"{exc}") from exc


async def server_context(settings: Settings) -> ssl.SSLContext:
    if settings.tls_cert and settings.tls_key:
        cert, key = Path(settings.tls_cert), Path(settings.tls_key)
    else:
        folder = settings.data_path / "tls"
        cert, key = folder / "cert.pem", folder / "key.pem"
        if not (cert.exists() and key.exists()):
            await make_self_signed(cert, key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the TLS certificate {cert} and key {key}: {exc}") \
            from exc
    return context
