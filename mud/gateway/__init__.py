"""The gateway: the process that holds players' connections. Listeners (telnet, TLS, web), telnet
negotiation, input limits, the login (argon2 runs here), rendering for each client, and the
link to the one world process that owns the game. A gateway keeps nothing of the game, so the
world can reboot behind it without a connection dropping.

    server   the Gateway: listeners, login services, the link to the world, serve()
    session  one connection: login, then its seat in the world (lines queued while it is away)
    web      the web listener: the web client's files, the game over a WebSocket, /health and
             /metrics
    metrics  what /metrics and /health tell monitoring
    child    the world as this gateway's child process (the default role, `all`)
    console  the operator console, answered by the world through the link
"""
