"""Colour markup in game text, rendered per client.

Tags are words in braces: `{red}`, `{bright-cyan}`, `{bold}`, `{underline}`, `{reset}`, a
256-colour palette index `{c208}`, or true colour `{#ff8800}`. `{{` is a literal brace; any other
brace is literal too. Rendering emits only the escape sequences built here: raw control bytes in
the text (ESC included) are dropped first, and a line that used colour ends with a reset, so
nothing in the text (a player's `say` included) can send its own escape sequences or colour what
follows it.
"""

from __future__ import annotations

import re

from mud.net.terminal import Colours

_BASIC = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
# ANSI 16-colour palette as RGB, to map 256-colour and true colour down
_PALETTE16 = ((0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205),
              (0, 205, 205), (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0),
              (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255))
_CUBE = (0, 95, 135, 175, 215, 255)
_STYLES = {"reset": "0", "bold": "1", "underline": "4"}  # RESET must stay "\x1b[0m"

TAG = re.compile(r"\{\{|\{(#[0-9a-fA-F]{6}|c\d{1,3}|(?:bright-)?[a-z]+)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
RESET = "\x1b[0m"


def _rgb_of_index(index: int) -> tuple[int, int, int]:
    if index < 16:
        return _PALETTE16[index]
    if index < 232:
        index -= 16
        return _CUBE[index // 36], _CUBE[index // 6 % 6], _CUBE[index % 6]
    grey = 8 + (index - 232) * 10
    return grey, grey, grey


def _nearest(rgb: tuple[int, int, int], candidates: range) -> int:
    return min(candidates, key=lambda i: sum((a - b) ** 2 for a, b in
                                             zip(rgb, _rgb_of_index(i), strict=True)))


def _sgr_of_index(index: int) -> str:
    """A 16-colour palette index as an SGR code (bright ones as bold + colour, the most
    widely shown form)."""
    return f"3{index}" if index < 8 else f"1;3{index - 8}"


def _tag_rgb(tag: str) -> tuple[int, int, int] | int | None:
    """A colour tag as RGB (true colour) or palette index; None for a style or unknown tag."""
    if tag.startswith("#"):
        return int(tag[1:3], 16), int(tag[3:5], 16), int(tag[5:7], 16)
    if tag.startswith("c"):
        index = int(tag[1:])
        return index if index < 256 else None
    bright = tag.startswith("bright-")
    name = tag.removeprefix("bright-")
    if name in _BASIC:
        return _BASIC.index(name) + (8 if bright else 0)
    return None


def sgr(tag: str, colours: Colours) -> str | None:
    """The escape sequence of one tag for a client with `colours`; None if the tag is unknown
    (it is then left in the text as typed)."""
    if tag in _STYLES:
        return f"\x1b[{_STYLES[tag]}m"
    value = _tag_rgb(tag)
    if value is None:
        return None
    if isinstance(value, tuple):
        if colours >= Colours.TRUE:
            return "\x1b[38;2;{};{};{}m".format(*value)
        value = _nearest(value, range(256) if colours >= Colours.XTERM else range(16))
    if value < 16:
        return f"\x1b[{_sgr_of_index(value)}m"
    if colours >= Colours.XTERM:
        return f"\x1b[38;5;{value}m"
    return f"\x1b[{_sgr_of_index(_nearest(_rgb_of_index(value), range(16)))}m"


def render(text: str, colours: Colours) -> str:
    """Text with its markup turned into escape sequences for `colours` (or removed for a client
    without colour)."""
    text = _CONTROL.sub("", text)
    if "{" not in text:
        return text
    return "\n".join(_render_line(line, colours) for line in text.split("\n"))


def _render_line(line: str, colours: Colours) -> str:
    used = False

    def replace(match: re.Match[str]) -> str:
        nonlocal used
        if match[0] == "{{":
            return "{"
        code = sgr(match[1], colours)
        if code is None:
            return match[0]
        if colours == Colours.NONE:
            return ""
        used = code != RESET  # colour still open at the end of the line
        return code

    out = TAG.sub(replace, line)
    return out + RESET if used else out


def strip(text: str) -> str:
    """Text as a client without colour shows it."""
    return render(text, Colours.NONE)


def visible_length(word: str) -> int:
    return len(strip(word))


Run = tuple[str, str, str]  # text, colour ("", a basic name such as "bright-red", "#rrggbb"), style


def runs(text: str, colours: Colours) -> list[Run]:
    """Text with its markup as runs of one colour and style, for a client that draws them
    itself (the web client): the same tags, and the same rule that colour ends with its line,
    as render. Colours are named for the 16 basic ones (the client's theme decides them), else
    given as #rrggbb."""
    text = _CONTROL.sub("", text)
    if "{" not in text:
        return [(text, "", "")] if text else []
    if colours == Colours.NONE:
        return [(strip(text), "", "")]
    out: list[Run] = []

    def add(part: str, colour: str, style: str) -> None:
        if not part:
            return
        if out and out[-1][1:] == (colour, style):
            out[-1] = (out[-1][0] + part, colour, style)
        else:
            out.append((part, colour, style))

    for number, line in enumerate(text.split("\n")):
        if number:
            add("\n", "", "")
        colour, bold, underline, at = "", False, False, 0
        for match in TAG.finditer(line):
            style = ("b" if bold else "") + ("u" if underline else "")
            add(line[at:match.start()], colour, style)
            at = match.end()
            tag = match[1]
            if match[0] == "{{":
                add("{", colour, style)
            elif tag == "reset":
                colour, bold, underline = "", False, False
            elif tag == "bold":
                bold = True
            elif tag == "underline":
                underline = True
            elif (value := _tag_rgb(tag)) is None:
                add(match[0], colour, style)  # not a tag: left as typed
            else:
                colour = _colour_name(value)
        add(line[at:], colour, ("b" if bold else "") + ("u" if underline else ""))
    return out


def _colour_name(value: tuple[int, int, int] | int) -> str:
    if isinstance(value, int):
        if value < 16:
            return ("bright-" if value >= 8 else "") + _BASIC[value % 8]
        value = _rgb_of_index(value)
    return "#{:02x}{:02x}{:02x}".format(*value)
