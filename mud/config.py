"""Settings: command-line flags win over MUD_* environment variables, which win over defaults."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

# name -> (environment variable, default, converter, help)
SETTINGS: dict[str, tuple[str, Any, type, str]] = {
    "role": ("MUD_ROLE", "all", str,
             "all: a gateway with its own world process; world; gateway"),
    "world_address": ("MUD_WORLD_ADDRESS", None, str,
                      "where the world listens for gateways: host:port or a Unix socket path "
                      "(default: <data_dir>/link.sock)"),
    "link_port": ("MUD_LINK_PORT", None, int,
                  "the world's TCP port for gateways on other machines; unset: none"),
    "link_secret": ("MUD_LINK_SECRET", None, str,
                    "shared secret gateways prove to the world (needed with MUD_LINK_PORT)"),
    "link_tls_cert": ("MUD_LINK_TLS_CERT", None, str,
                      "TLS on the TCP link: the certificate (PEM) the world shows on "
                      "MUD_LINK_PORT and gateways trust (it names the world's host); unset: "
                      "no TLS"),
    "link_tls_key": ("MUD_LINK_TLS_KEY", None, str,
                     "the private key (PEM) of MUD_LINK_TLS_CERT, on the world only"),
    "host": ("MUD_HOST", "0.0.0.0", str, "address to listen on"),
    "telnet_port": ("MUD_TELNET_PORT", 4000, int, "telnet port"),
    "data_dir": ("MUD_DATA_DIR", "./var", str, "folder for the embedded database and logs"),
    "database_url": ("MUD_DATABASE_URL", None, str, "PostgreSQL URL; unset runs an embedded one"),
    "save_interval": ("MUD_SAVE_INTERVAL", 5.0, float, "seconds between write-behind flushes"),
    "database_connections": ("MUD_DATABASE_CONNECTIONS", 10, int,
                             "connections the world keeps open to PostgreSQL (a gateway half)"),
    "log_level": ("MUD_LOG_LEVEL", "INFO", str, "DEBUG, INFO, WARNING or ERROR"),
    "world_dir": ("MUD_WORLD_DIR", None, str, "world data folder (default: the bundled world/)"),
    "linkdead_timeout": ("MUD_LINKDEAD_TIMEOUT", 300.0, float, "seconds a dropped character stays"),
    "idle_timeout": ("MUD_IDLE_TIMEOUT", 3600.0, float, "seconds before an idle connection closes"),
    "login_timeout": ("MUD_LOGIN_TIMEOUT", 180.0, float, "seconds allowed to log in"),
    "input_rate": ("MUD_INPUT_RATE", 20.0, float,
                   "input lines per second per connection (bursts of 5x); 0 = unlimited"),
    "input_bytes_rate": ("MUD_INPUT_BYTES_RATE", 16384.0, float,
                         "raw input bytes per second per connection (bursts of 256 KiB); 0 = "
                         "unlimited"),
    "max_per_address": ("MUD_MAX_CONNECTIONS_PER_ADDRESS", 20, int,
                        "connections from one address; 0 = unlimited"),
    "argon2_time_cost": ("MUD_ARGON2_TIME_COST", 3, int, "argon2id passes"),
    "argon2_memory_kib": ("MUD_ARGON2_MEMORY_KIB", 65536, int, "argon2id memory in KiB"),
    "hash_workers": ("MUD_HASH_WORKERS", 1, int, "threads hashing passwords"),
    "login_fail_delay": ("MUD_LOGIN_FAIL_DELAY", 1.0, float,
                         "seconds added per recent failure before a wrong-password reply"),
    "login_lockout": ("MUD_LOGIN_LOCKOUT", 900.0, float,
                      "seconds an account or address is refused after too many failures"),
    "new_accounts_per_address": ("MUD_NEW_ACCOUNTS_PER_ADDRESS", 5, int,
                                 "accounts one address may create per hour; 0 = unlimited"),
    "stats_interval": ("MUD_STATS_INTERVAL", 60.0, float,
                       "seconds between event=stats log lines; 0 = none"),
    "tick_interval": ("MUD_TICK_INTERVAL", 3.0, float,
                      "seconds between game ticks (combat rounds, regeneration)"),
    "redis_url": ("MUD_REDIS_URL", None, str,
                  "Redis URL shared by the game's processes; unset runs an embedded one"),
    "redis_prefix": ("MUD_REDIS_PREFIX", "mud", str,
                     "prefix of every Redis key: processes of one game share it"),
    "process_id": ("MUD_PROCESS_ID", None, str,
                   "this process's name in logs and `who` (default: host-pid)"),
    "lease_seconds": ("MUD_LEASE_SECONDS", 30.0, float,
                      "how long a crashed process keeps its characters from other processes"),
    "console_socket": ("MUD_CONSOLE_SOCKET", None, str,
                       "Unix socket of the operator console (default: <data_dir>/console.sock; "
                       "off: none)"),
    "tls_port": ("MUD_TLS_PORT", None, int,
                 "port of a second listener serving the game over TLS; unset: none"),
    "web_port": ("MUD_WEB_PORT", 4080, int,
                 "port of the web client (its page, the game over a WebSocket, /health and "
                 "/metrics); 0: none"),
    "web_trusted_proxies": ("MUD_WEB_TRUSTED_PROXIES", "", str,
                            "addresses of reverse proxies (comma-separated) whose "
                            "X-Forwarded-For header names the web client's address"),
    "tls_cert": ("MUD_TLS_CERT", None, str,
                 "TLS certificate (PEM); unset: a self-signed one made in <data_dir>/tls"),
    "tls_key": ("MUD_TLS_KEY", None, str, "TLS private key (PEM) matching MUD_TLS_CERT"),
    "mssp_name": ("MUD_MSSP_NAME", "Greywater", str, "the game's name for MUD crawlers (MSSP)"),
    "mssp_hostname": ("MUD_MSSP_HOSTNAME", "", str, "the public host name crawlers report"),
    "mssp_contact": ("MUD_MSSP_CONTACT", "", str, "an email address for players (MSSP)"),
    "mssp_website": ("MUD_MSSP_WEBSITE", "", str, "the game's web site (MSSP)"),
    "mssp_extra": ("MUD_MSSP_EXTRA", "", str,
                   "more MSSP variables as NAME=value;NAME=value (override the defaults)"),
}


ROLES = ("all", "world", "gateway")
# where a world started by a gateway writes why it could not run (set by the gateway)
PROBLEM_FILE = "MUD_WORLD_PROBLEM_FILE"
POSITIVE = ("save_interval", "tick_interval", "lease_seconds",  # loops: 0 would spin
            "database_connections")


@dataclass(frozen=True)
class Settings:
    """Every field is filled by load(); SETTINGS holds the defaults, in one place."""

    role: str
    world_address: str | None
    link_port: int | None
    link_secret: str | None
    link_tls_cert: str | None
    link_tls_key: str | None
    host: str
    telnet_port: int
    data_dir: str
    database_url: str | None
    save_interval: float
    database_connections: int
    log_level: str
    world_dir: str | None
    linkdead_timeout: float
    idle_timeout: float
    login_timeout: float
    input_rate: float
    input_bytes_rate: float
    max_per_address: int
    argon2_time_cost: int
    argon2_memory_kib: int
    hash_workers: int
    login_fail_delay: float
    login_lockout: float
    new_accounts_per_address: int
    stats_interval: float
    tick_interval: float
    redis_url: str | None
    redis_prefix: str
    process_id: str | None
    lease_seconds: float
    console_socket: str | None
    tls_port: int | None
    web_port: int
    web_trusted_proxies: str
    tls_cert: str | None
    tls_key: str | None
    mssp_name: str
    mssp_hostname: str
    mssp_contact: str
    mssp_website: str
    mssp_extra: str

    @classmethod
    def load(cls, flags: dict[str, Any] | None = None,
             environ: dict[str, str] | None = None) -> Settings:
        """Resolve every setting: flag if given, else environment, else default."""
        flags = flags or {}
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            env_name, default, convert, _ = SETTINGS[field.name]
            if flags.get(field.name) is not None:
                values[field.name] = convert(flags[field.name])
            elif env.get(env_name):
                try:
                    values[field.name] = convert(env[env_name])
                except ValueError as exc:
                    raise SystemExit(f"{env_name}={env[env_name]!r} is not a valid "
                                     f"{convert.__name__}: {exc}") from exc
            else:
                values[field.name] = default
        if values["role"] not in ROLES:
            raise SystemExit(f"MUD_ROLE must be one of {', '.join(ROLES)} (it is "
                             f"{values['role']!r})")
        for name in POSITIVE:
            if values[name] <= 0:
                raise SystemExit(f"{SETTINGS[name][0]} must be above 0 (it is {values[name]})")
        return cls(**values)

    @property
    def world_path(self) -> Path:
        if self.world_dir:
            return Path(self.world_dir)
        return Path(__file__).resolve().parent.parent / "world"

    @property
    def process_name(self) -> str:
        return self.process_id or f"{socket.gethostname().split('.')[0][:20]}-{os.getpid()}"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def link_path(self) -> Path:
        """The world's Unix socket for gateways (unless the world is reached over TCP)."""
        address = self.world_address
        return Path(address) if address and not is_tcp(address) else \
            self.data_path / "link.sock"

    @property
    def snapshot_path(self) -> Path:
        """What a rebooting world leaves its successor (mud.game.snapshot)."""
        return self.data_path / "world.snapshot"

    @property
    def console_socket_path(self) -> Path:
        return Path(self.console_socket) if self.console_socket else \
            self.data_path / "console.sock"


def is_tcp(address: str) -> bool:
    """Whether a world address is host:port (else it is a Unix socket path)."""
    host, _, port = address.rpartition(":")
    return bool(host) and port.isdigit() and "/" not in address
