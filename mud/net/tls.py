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
    tmp_cert, tmp_key = cert.with_suffix(".tmp"), key.with_suffix(".tmp")
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
