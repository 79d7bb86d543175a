"""Set up, start, stop and locate an Evennia 5.0.1 server for side-by-side load benchmarks.

Everything Evennia creates lives under ``--root`` (default ``/tmp/mud-evennia``), outside this
repository: ``ROOT/venv`` (a throwaway virtual environment) and ``ROOT/game`` (the game folder).

    python bench/evennia_server.py setup [--root DIR] [--port 4100] [--backlog 2048]
                                         [--fast-hash] [--tcp-nodelay]
    python bench/evennia_server.py start [--root DIR]
    python bench/evennia_server.py pids  [--root DIR]     # "SERVER_PID PORTAL_PID"
    python bench/evennia_server.py stop  [--root DIR]

Ports: telnet on 127.0.0.1:PORT, AMP (Portal <-> Server) on 127.0.0.1:PORT+2; the web server,
web client and websocket are disabled (their ports, should they be enabled, are PORT+1, PORT+3 and
PORT+5 on 127.0.0.1). Evennia's defaults (4000-4006) are never used.

Settings: every throttle and rate limit off; telnet listen backlog 2048 (Twisted's is 50) through
a Portal plugin. Opt-in: ``--fast-hash`` (MD5 passwords, as Evennia's dummyrunner, instead of
Django's 1,000,000-round PBKDF2 that costs ~0.2 s of the single-threaded Server per create and per
connect; accounts made with it cannot log in once setup runs without it) and ``--tcp-nodelay``
(Nagle off on the Portal <-> Server link; stock Evennia adds ~40 ms to each command sent right
after the previous reply).

Login from a telnet client: ``create NAME PASSWORD``, answer ``y`` to the confirmation question,
then ``connect NAME PASSWORD``; the new character is puppeted in Limbo. Passwords must pass
Django's validators (8+ characters, not common, not all digits, unlike the name).
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

EVENNIA_VERSION = "5.0.1"
DEFAULT_ROOT = "/tmp/mud-evennia"
DEFAULT_PORT = 4100
SUPERUSER = ("admin", "bench-admin-Pass-1", "admin@example.com")
# Plugin modules written into game/server/conf/ (Evennia's own *_SERVICES_PLUGIN_MODULES hooks).
BACKLOG_CODE = '''"""Portal plugin from bench/evennia_server.py: raise the telnet listen backlog.

Twisted listens with backlog 50; in a burst of more clients the overflowed ones (SYN cookies)
look connected but never see the banner.
"""

BACKLOG = {backlog}


def start_plugin_services(portal):
    """Set the backlog on the telnet services, registered but not yet listening."""
    for service in portal:
        if (service.name or "").startswith("EvenniaTelnet"):
            service.kwargs["backlog"] = BACKLOG
'''
NODELAY_CODE = '''"""Portal+Server plugin from bench/evennia_server.py: TCP_NODELAY on AMP.

Evennia's Portal <-> Server AMP connection keeps Nagle on; a client that sends its next command
as soon as the reply arrives then waits ~40 ms (Nagle + delayed ACK) per command.
"""

import evennia
from evennia.server.portal.amp import AMPMultiConnectionProtocol

_connection_made = AMPMultiConnectionProtocol.connectionMade


def _connection_made_nodelay(self):
    self.transport.setTcpNoDelay(True)
    return _connection_made(self)


def start_plugin_services(application):
    """Patch future AMP connections and fix the one already made, if any."""
    AMPMultiConnectionProtocol.connectionMade = _connection_made_nodelay
    for name in ("EVENNIA_SERVER_SERVICE", "EVENNIA_PORTAL_SERVICE"):
        proto = getattr(getattr(evennia, name, None), "amp_protocol", None)
        if proto is not None and proto.transport is not None:
            proto.transport.setTcpNoDelay(True)
'''
BEGIN = "# --- BEGIN bench/evennia_server.py (rewritten by each setup) ---"
END = "# --- END bench/evennia_server.py ---"


def log(msg: str) -> None:
    """Print one progress line at once."""
    print(f"[evennia-bench] {msg}", flush=True)


def paths(root: Path) -> dict[str, Path]:
    """Return the well-known paths under root."""
    game = root / "game"
    return {
        "venv": root / "venv",
        "python": root / "venv" / "bin" / "python",
        "evennia": root / "venv" / "bin" / "evennia",
        "game": game,
        "settings": game / "server" / "conf" / "settings.py",
        "db": game / "server" / "evennia.db3",
        "server_pid": game / "server" / "server.pid",
        "portal_pid": game / "server" / "portal.pid",
        "logs": game / "server" / "logs",
    }


def venv_env(root: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running the venv's tools (venv first on PATH, no stray PYTHON* vars)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["VIRTUAL_ENV"] = str(paths(root)["venv"])
    env["PATH"] = f"{paths(root)['venv'] / 'bin'}:{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if extra:
        env.update(extra)
    return env


def run(cmd: list[str], root: Path, cwd: Path | None = None, quiet: bool = False,
        extra_env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """Run a command; return its output, or print it and exit on failure."""
    proc = subprocess.run(cmd, cwd=cwd, env=venv_env(root, extra_env), text=True,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=timeout, check=False)
    out = proc.stdout or ""
    if proc.returncode != 0:
        print(out, file=sys.stderr)
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    if not quiet:
        for line in out.splitlines():
            if line.strip() and "is ignored: it is neither a file nor a directory" not in line:
                print(f"    {line}", flush=True)
    return out


def installed_version(root: Path) -> str | None:
    """Version of evennia in the venv, or None."""
    py = paths(root)["python"]
    if not py.exists():
        return None
    proc = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('evennia'))"],
        env=venv_env(root), capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def settings_block(port: int, fast_hash: bool, backlog: int, nodelay: bool) -> str:
    """The settings appended to game/server/conf/settings.py."""
    lines = [
        BEGIN,
        "# Network: telnet only, on loopback; keep clear of Evennia's 4000-4006 defaults.",
        f"TELNET_PORTS = [{port}]",
        'TELNET_INTERFACES = ["127.0.0.1"]',
        f"AMP_PORT = {port + 2}",
        'AMP_INTERFACE = "127.0.0.1"',
        "WEBSERVER_ENABLED = False",
        "WEBCLIENT_ENABLED = False",
        "WEBSOCKET_CLIENT_ENABLED = False",
        "REST_API_ENABLED = False",
        f"WEBSERVER_PORTS = [({port + 1}, {port + 5})]",
        'WEBSERVER_INTERFACES = ["127.0.0.1"]',
        f"WEBSOCKET_CLIENT_PORT = {port + 3}",
        'WEBSOCKET_CLIENT_INTERFACE = "127.0.0.1"',
        "SSL_ENABLED = False",
        "SSH_ENABLED = False",
        "# Throttles and rate limits off. The two rates must stay > 0 (1/rate in the Portal).",
        "MAX_CONNECTION_RATE = 1_000_000",
        "MAX_COMMAND_RATE = 1_000_000",
        "MAX_CHAR_LIMIT = 0",
        "CREATION_THROTTLE_LIMIT = None",
        "CREATION_THROTTLE_TIMEOUT = None",
        "LOGIN_THROTTLE_LIMIT = None",
        "LOGIN_THROTTLE_TIMEOUT = None",
        "IDLE_TIMEOUT = -1",
        "LOCKDOWN_MODE = False",
        "NEW_ACCOUNT_REGISTRATION_ENABLED = True",
    ]
    portal_plugins = ["server.conf.portal_services_plugins"]
    server_plugins = ["server.conf.server_services_plugins"]
    if backlog > 0:
        lines.append(f"# Telnet listen backlog {backlog}, not 50: server/conf/bench_backlog.py.")
        portal_plugins.append("server.conf.bench_backlog")
    if nodelay:
        lines.append("# TCP_NODELAY on the Portal <-> Server AMP link: bench_nodelay.py.")
        portal_plugins.append("server.conf.bench_nodelay")
        server_plugins.append("server.conf.bench_nodelay")
    lines += [
        f"PORTAL_SERVICES_PLUGIN_MODULES = {portal_plugins!r}",
        f"SERVER_SERVICES_PLUGIN_MODULES = {server_plugins!r}",
    ]
    if fast_hash:
        lines += [
            "# As Evennia's own dummyrunner profiling mixin: cheap password hashing.",
            'PASSWORD_HASHERS = ("django.contrib.auth.hashers.MD5PasswordHasher",)',
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_settings(settings: Path, args: argparse.Namespace) -> None:
    """Write the plugin modules and replace (or append) this script's block in settings.py."""
    conf = settings.parent
    for name, code, wanted in (("bench_backlog", BACKLOG_CODE, args.backlog > 0),
                               ("bench_nodelay", NODELAY_CODE, args.tcp_nodelay)):
        if wanted:
            (conf / f"{name}.py").write_text(code.replace("{backlog}", str(args.backlog)))
        else:
            (conf / f"{name}.py").unlink(missing_ok=True)
    text = settings.read_text()
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    text = pattern.sub("", text).rstrip("\n") + "\n\n"
    block = settings_block(args.port, args.fast_hash, args.backlog, args.tcp_nodelay)
    settings.write_text(text + block)


def configured_port(root: Path) -> int:
    """The telnet port written into settings.py by setup."""
    text = paths(root)["settings"].read_text()
    match = re.search(r"^TELNET_PORTS = \[(\d+)\]", text, re.M)
    if not match:
        sys.exit(f"no TELNET_PORTS in {paths(root)['settings']}; run setup first")
    return int(match.group(1))


def banner_seen(port: int, timeout: float = 5.0) -> bool:
    """True if a telnet connection gets Evennia's login screen (so the Server is attached)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            data = b""
            deadline = time.monotonic() + timeout
            while b"create <username>" not in data and time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            return b"create <username>" in data
    except OSError:
        return False


def initial_setup_done(root: Path) -> bool:
    """True once Evennia's first start has built Limbo (ServerConfig last_initial_setup_step)."""
    db = paths(root)["db"]
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            row = conn.execute("SELECT db_value FROM server_serverconfig "
                               "WHERE db_key = 'last_initial_setup_step'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row) and b"done" in base64.b64decode(row[0])


def start_evennia(root: Path, wait: float) -> tuple[int, int]:
    """Run `evennia start`; wait until both processes run and the Server answers telnet.

    On the very first start Evennia builds Limbo and then restarts its Server once; wait for the
    restarted Server then, or a `stop` right after would orphan it.
    """
    p = paths(root)
    port = configured_port(root)
    first = not initial_setup_done(root)
    log(f"evennia start (game {p['game']}, telnet {port}{', first start' if first else ''})")
    run([str(p["evennia"]), "start"], root, cwd=p["game"], timeout=wait)
    first_server = get_pids(root)[0]
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        server, portal = get_pids(root)
        restarted = not first or (initial_setup_done(root) and server != first_server)
        if server and portal and restarted and banner_seen(port):
            log(f"telnet 127.0.0.1:{port} ready; server_pid={server} portal_pid={portal}")
            return server, portal
        time.sleep(0.5)
    sys.exit(f"Evennia not ready after {wait:.0f} s; see {p['logs']}")


def cmd_setup(args: argparse.Namespace) -> None:
    """Create the venv, install Evennia, init the game, configure, migrate, add superuser."""
    root = Path(args.root).resolve()
    p = paths(root)
    t0 = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    if not p["python"].exists():
        log(f"creating virtual environment {p['venv']}")
        run([sys.executable, "-m", "venv", str(p["venv"])], root)
    version = installed_version(root)
    if version == EVENNIA_VERSION:
        log(f"evennia {version} already installed")
    else:
        log(f"installing evennia=={EVENNIA_VERSION} (found {version})")
        run([str(p["python"]), "-m", "pip", "install", "-q", f"evennia=={EVENNIA_VERSION}"],
            root)
    if p["settings"].exists():
        log(f"game folder {p['game']} exists")
    else:
        log(f"evennia --init game in {root}")
        run([str(p["evennia"]), "--init", "game"], root, cwd=root, quiet=True)
    extras = "".join(text for text, on in ((", MD5 hasher", args.fast_hash),
                                           (", AMP TCP_NODELAY", args.tcp_nodelay)) if on)
    log(f"writing settings (telnet 127.0.0.1:{args.port}, AMP {args.port + 2}, web off, "
        f"throttles off, backlog {args.backlog or 50}{extras})")
    write_settings(p["settings"], args)
    log("evennia migrate")
    run([str(p["evennia"]), "migrate", "--noinput"], root, cwd=p["game"], quiet=True)
    name, password, email = SUPERUSER
    log(f"superuser #1 '{name}' (created if missing, via EVENNIA_SUPERUSER_* + evennia check)")
    run([str(p["evennia"]), "check"], root, cwd=p["game"], quiet=True, extra_env={
        "EVENNIA_SUPERUSER_USERNAME": name,
        "EVENNIA_SUPERUSER_PASSWORD": password,
        "EVENNIA_SUPERUSER_EMAIL": email,
    })
    if initial_setup_done(root):
        log("Evennia's initial setup (Limbo) already done")
    elif get_pids(root) != (None, None):
        log("Evennia is running; its initial setup is not done yet, not touching it")
    else:
        log("first start, so Evennia builds Limbo and restarts its Server once; then stop")
        start_evennia(root, 180.0)
        stop_evennia(root)
    log(f"setup done in {time.monotonic() - t0:.1f} s")


def read_pid(path: Path, root: Path) -> int | None:
    """PID from an Evennia pid file if it is a live twistd of this root's venv, else None."""
    try:
        pid = int(path.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    return pid if "twistd" in cmdline and str(paths(root)["venv"]) in cmdline else None


def get_pids(root: Path) -> tuple[int | None, int | None]:
    """(Server PID, Portal PID)."""
    p = paths(root)
    return read_pid(p["server_pid"], root), read_pid(p["portal_pid"], root)


def cmd_start(args: argparse.Namespace) -> None:
    """Start Evennia in the background; print 'SERVER_PID PORTAL_PID' once it answers."""
    root = Path(args.root).resolve()
    if not paths(root)["settings"].exists():
        sys.exit(f"{paths(root)['game']} is not set up; run setup first")
    if get_pids(root) != (None, None):
        log(f"already running: {get_pids(root)}")
    server, portal = start_evennia(root, args.wait)
    print(f"{server} {portal}")


def stop_evennia(root: Path) -> None:
    """`evennia stop`; then SIGTERM (later SIGKILL) this root's Evennia processes left running."""
    p = paths(root)
    if get_pids(root) == (None, None):
        log("Evennia is not running")
        return
    log("evennia stop")
    run([str(p["evennia"]), "stop"], root, cwd=p["game"], timeout=120)
    for sig, grace in ((None, 30.0), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        for pid in (pid for pid in get_pids(root) if pid and sig):
            log(f"process {pid} still running; sending {sig.name}")
            os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and get_pids(root) != (None, None):
            time.sleep(0.5)
        if get_pids(root) == (None, None):
            break
    log(f"stopped (server, portal alive: {get_pids(root)})")


def cmd_stop(args: argparse.Namespace) -> None:
    """Stop Evennia (Server and Portal)."""
    stop_evennia(Path(args.root).resolve())


def cmd_pids(args: argparse.Namespace) -> None:
    """Print 'SERVER_PID PORTAL_PID'; exit 1 if either is not running."""
    server, portal = get_pids(Path(args.root).resolve())
    if not (server and portal):
        sys.exit("Evennia is not running")
    print(f"{server} {portal}")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run a sub-command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, helptext in (
        ("setup", cmd_setup, "create venv, install and configure Evennia (idempotent)"),
        ("start", cmd_start, "start Evennia in the background and print its two PIDs"),
        ("stop", cmd_stop, "stop Evennia"),
        ("pids", cmd_pids, "print 'SERVER_PID PORTAL_PID'"),
    ):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--root", default=DEFAULT_ROOT, help="where venv/ and game/ live")
        sp.set_defaults(func=func)
        if name == "setup":
            sp.add_argument("--port", type=int, default=DEFAULT_PORT, help="telnet port")
            sp.add_argument("--fast-hash", action="store_true",
                            help="MD5 password hasher (as Evennia's dummyrunner); default: "
                                 "Django's PBKDF2")
            sp.add_argument("--backlog", type=int, default=2048,
                            help="telnet listen backlog (0: keep Twisted's 50)")
            sp.add_argument("--tcp-nodelay", action="store_true",
                            help="TCP_NODELAY on the Portal <-> Server AMP link (default: stock "
                                 "Evennia, Nagle on: ~40 ms per back-to-back command)")
        if name == "start":
            sp.add_argument("--wait", type=float, default=120.0, help="seconds to wait")
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
