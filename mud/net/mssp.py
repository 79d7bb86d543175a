"""MUD Server Status Protocol: what MUD crawlers and listings learn about the game, over telnet
option 70 or as plain text after `MSSP-REQUEST` at the login prompt."""

from __future__ import annotations

from dataclasses import dataclass

from mud.config import Settings

Variables = dict[str, str | list[str]]

FIXED: Variables = {
    "CODEBASE": "mud 0.1 (Python, telnetlib3)", "FAMILY": "Custom", "GENRE": "Fantasy",
    "SUBGENRE": "LitRPG", "GAMEPLAY": ["Adventure", "Hack and Slash"],
    "GAMESYSTEM": "Custom", "STATUS": "Alpha", "LANGUAGE": "English", "INTERMUD": "",
    "MINIMUM AGE": "0", "CRAWL DELAY": "-1", "LEVELS": "6", "CLASSES": "0", "RACES": "0",
    "ANSI": "1", "GMCP": "1", "MCCP": "1", "MSDP": "0", "MSP": "0", "MXP": "0", "PUEBLO": "0",
    "UTF-8": "1", "VT100": "0", "XTERM 256 COLORS": "1", "XTERM TRUE COLORS": "1",
    "PAY TO PLAY": "0", "PAY FOR PERKS": "0", "HIRING BUILDERS": "0", "HIRING CODERS": "0",
}


def extra_variables(spec: str) -> Variables:
    """`NAME=value;NAME=value` (MUD_MSSP_EXTRA) as variables; malformed parts are skipped."""
    found: Variables = {}
    for part in spec.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            found[name.strip().upper()] = value.strip()
    return found


@dataclass(frozen=True)
class Figures:
    """The running server as a listing sees it."""

    players: int
    started_at: float
    port: int
    tls_port: int | None
    areas: int
    rooms: int
    objects: int
    mobiles: int


def variables(settings: Settings, figures: Figures) -> Variables:
    found: Variables = {
        **FIXED,
        "NAME": settings.mssp_name, "PLAYERS": str(figures.players),
        "UPTIME": str(int(figures.started_at)),
        "HOSTNAME": settings.mssp_hostname,  # empty unless set: not the machine's name
        "PORT": [str(figures.port)], "CONTACT": settings.mssp_contact,
        "WEBSITE": settings.mssp_website, "AREAS": str(figures.areas),
        "ROOMS": str(figures.rooms), "OBJECTS": str(figures.objects),
        "MOBILES": str(figures.mobiles),
    }
    if figures.tls_port is not None:
        found["SSL"] = str(figures.tls_port)
    found.update(extra_variables(settings.mssp_extra))
    return found


def plain_text(found: Variables) -> str:
    """The reply to a plain-text MSSP-REQUEST."""
    lines = ["MSSP-REPLY-START"]
    for name, value in found.items():
        values = value if isinstance(value, list) else [value]
        lines.append("\t".join([name, *values]))
    return "\n".join([*lines, "MSSP-REPLY-END"])
