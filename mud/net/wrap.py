"""Word wrap to the client's window width, counting what is seen (markup takes no room)."""

from __future__ import annotations

import re

from mud.net.colour import visible_length

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# what continuation lines hang under: a short label ("Usage: ", "Brann says: "), or a first word
# and the spaces that align a column after it ("  look         Look at ...")
_LABELS = (re.compile(r" *[^ :.!?][^:.!?]*?: +(?=\S)"), re.compile(r" *\S+ {2,}(?=\S)"))
MAX_HANG = 30  # a wider label is prose, not a label
HANG = 2  # how much deeper than an indented line its continuation lines start, without a label
WORLD_TEXT_WIDTH = 78  # what the world files' descriptions are wrapped to


def _lead(line: str, width: int) -> tuple[str, str, int]:
    """line as the start of its first line (its indentation, and its label when it has one)
    and the rest, and the column continuation lines start at: under the text after the label;
    without a label that leaves room enough (at most half the width), a little deeper than an
    indented line, or at the start of one that is not."""
    fitting = [match for pattern in _LABELS if (match := pattern.match(line))
               and visible_length(match[0]) <= min(MAX_HANG, width // 2)]
    if fitting:
        label = min(fitting, key=lambda match: match.end())
        return label[0], line[label.end():], visible_length(label[0])
    body = line.lstrip(" ")
    indent = min(len(line) - len(body), width // 2)
    return " " * indent, body, min(indent + HANG, width // 2) if indent else 0


def wrap_line(line: str, width: int) -> list[str]:
    """One line broken at spaces into lines of at most width visible characters. Continuation
    lines hang under the text after a label ("Brann says: ...", "  Usage: ...", a column of
    aligned text), else keep the first line's indentation. A word longer than a line stands
    alone."""
    if visible_length(line) <= width:
        return [line]
    lead, body, hang = _lead(line.rstrip(" "), width)  # trailing spaces make no line of their own
    lines: list[str] = []
    current, size = lead, visible_length(lead)
    start = size  # where this line's words begin
    for word in body.split(" "):
        length = visible_length(word)
        if size > start and size + 1 + length > width:
            lines.append(current)
            current, size = " " * hang, hang
            start = hang
        if size > start:
            current += " "
            size += 1
        current += word
        size += length
    lines.append(current)
    return lines


def wrap(text: str, width: int) -> str:
    return "\n".join(part for line in text.split("\n") for part in wrap_line(line, width))


def reflow(text: str) -> str:
    """Text wrapped in advance (world descriptions are, to WORLD_TEXT_WIDTH) as one line per
    paragraph, for wrap to break again at the client's width."""
    return "\n\n".join(" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(text))
