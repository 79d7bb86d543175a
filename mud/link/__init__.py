"""The link between gateways (which hold the players' connections) and the world (which holds
the game): a framed, versioned, authenticated message protocol (protocol.py)."""
