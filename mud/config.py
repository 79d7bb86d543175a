"""Settings: command-line flags win over MUD_* environment variables, which win over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

# name -> (environment variable, default, converter, help)
SETTINGS: dict[str, tuple[str, Any, type, str]] = {
    "host": ("MUD_HOST", "0.0.0.0", str, "address to listen on"),
    "telnet_port": ("MUD_TELNET_PORT", 4000, int, "telnet port"),
    "data_dir": ("MUD_DATA_DIR", "./var", str, "folder for the embedded database and logs"),
    "database_url": ("MUD_DATABASE_URL", None, str, "PostgreSQL URL; unset runs an embedded one"),
    "save_interval": ("MUD_SAVE_INTERVAL", 5.0, float, "seconds between write-behind flushes"),
    "log_level": ("MUD_LOG_LEVEL", "INFO", str, "DEBUG, INFO, WARNING or ERROR"),
    "world_dir": ("MUD_WORLD_DIR", None, str, "world data folder (default: the bundled world/)"),
    "linkdead_timeout": ("MUD_LINKDEAD_TIMEOUT", 300.0, float, "seconds a dropped character stays"),
    "idle_timeout": ("MUD_IDLE_TIMEOUT", 3600.0, float, "seconds before an idle connection closes"),
}


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"
    telnet_port: int = 4000
    data_dir: str = "./var"
    database_url: str | None = None
    save_interval: float = 5.0
    log_level: str = "INFO"
    world_dir: str | None = None
    linkdead_timeout: float = 300.0
    idle_timeout: float = 3600.0

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
        return cls(**values)

    @property
    def world_path(self) -> Path:
        if self.world_dir:
            return Path(self.world_dir)
        return Path(__file__).resolve().parent.parent / "world"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()
