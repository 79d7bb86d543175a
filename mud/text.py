"""Small helpers for the text players read."""

from __future__ import annotations


def counted(name: str, quantity: int) -> str:
    """'a copper coin (x3)', or just the name for one."""
    return f"{name} (x{quantity})" if quantity > 1 else name


def upper_first(text: str) -> str:
    """Start a sentence with text: 'red Hessa' stays 'Red Hessa' (str.capitalize would give
    'Red hessa')."""
    return text[:1].upper() + text[1:]
