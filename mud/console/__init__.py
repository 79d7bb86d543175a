"""The operator console: a line-per-JSON protocol over a Unix socket only the server's user may
open (server.py), the commands it runs (commands.py) and the `mud console` program (client.py)."""
