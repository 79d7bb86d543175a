"""Word wrap to the client's window width, counting what is seen (markup takes no room)."""

from __future__ import annotations

import re

from mud.net.colour import visible_length

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def wrap_line(line: str, width: int) -> list[str]:
    """One line broken at spaces into lines of at most width visible characters; continuation
    lines keep the first line's indentation. A word longer than a line stands alone."""
    if visible_length(line) <= width:
        return [line]
    body = line.lstrip(" ")
    indent = " " * min(len(line) - len(body), width // 2)
    lines: list[str] = []
    current, size = indent, len(indent)
    for word in body.split(" "):
        length = visible_length(word)
        if size > len(indent) and size + 1 + length > width:
            lines.append(current)
            current, size = indent, len(indent)
        if size > len(indent):
            current += " "
            size += 1
        current += word
        size += length
    lines.append(current)
    return lines


def wrap(text: str, width: int) -> str:
    return "\n".join(part for line in text.split("\n") for part in wrap_line(line, width))


def reflow(text: str) -> str:
    """Text wrapped in advance (world descriptions are, to 78 columns) as one line per
    paragraph, for wrap to break again at the client's width."""
    return "\n\n".join(" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(text))
