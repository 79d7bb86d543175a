"""A telnet MUD game server with write-behind persistence to PostgreSQL."""

__version__ = "0.1.0"
