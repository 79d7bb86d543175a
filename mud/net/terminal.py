"""What a client told the server about itself: window width (NAWS), name and terminal type (TTYPE),
the MTTS bit field (the third TTYPE answer of MUD clients), and its character set (CHARSET)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, IntFlag

MIN_WIDTH = 20  # narrower reports are taken as this (some clients send 0 or nonsense)
MAX_WIDTH = 250
MIN_HEIGHT, MAX_HEIGHT = 5, 200


class Colours(IntEnum):
    """How many colours a client shows."""

    NONE = 0
    ANSI = 16
    XTERM = 256
    TRUE = 1 << 24


class Mtts(IntFlag):
    """The MTTS bits (https://tintin.mudhalla.net/protocols/mtts/)."""

    ANSI = 1
    VT100 = 2
    UTF8 = 4
    COLOURS_256 = 8
    MOUSE = 16
    OSC_COLOUR_PALETTE = 32
    SCREEN_READER = 64
    PROXY = 128
    TRUECOLOR = 256
    MNES = 512
    MSLP = 1024
    SSL = 2048


def parse_mtts(answer: str) -> Mtts | None:
    """The bits of an 'MTTS <number>' TTYPE answer, or None when it is not one."""
    word, _, number = answer.strip().partition(" ")
    if word.upper() != "MTTS" or not number.isdigit() or len(number) > 7:
        return None
    return Mtts(int(number) & 0xFFF)


def colours_of_name(term: str) -> Colours:
    """Colours implied by a terminal type name (the second TTYPE answer, or the only one)."""
    term = term.lower()
    if "truecolor" in term or "24bit" in term or "direct" in term:
        return Colours.TRUE
    if "256" in term:
        return Colours.XTERM
    if term.startswith(("xterm", "ansi", "vt100", "vt220", "linux", "screen", "tmux", "rxvt",
                        "putty", "mudlet", "tintin", "mushclient", "blightmud", "cmud",
                        "zmud")):
        return Colours.ANSI
    return Colours.NONE


@dataclass
class Terminal:
    """Filled in as the client's answers arrive; read when output is rendered."""

    client: str = ""  # the first TTYPE answer: the client's name (MUDLET, TINTIN++, ...)
    term: str = ""  # the terminal type (XTERM-256COLOR, ANSI-TRUECOLOR, ...)
    mtts: Mtts | None = None
    width: int | None = None  # None until the client reports its window (output is not wrapped)
    height: int | None = None  # rows in the window (NAWS); None: unknown (long text is not paged)
    charset: str | None = None  # what CHARSET agreed on, if it was negotiated
    # colours and encoding, worked out once for every line written until a field changes
    _known: tuple[Colours, str] | None = field(default=None, init=False, repr=False,
                                               compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name != "_known":
            super().__setattr__("_known", None)

    def on_ttype(self, answers: list[str]) -> None:
        """Take the TTYPE answers so far (first, second, third...)."""
        self.client = answers[0][:40] if answers else ""
        self.term = (answers[1] if len(answers) > 1 else self.client)[:40]
        self.mtts = None
        for answer in answers[1:]:
            bits = parse_mtts(answer)
            if bits is not None:
                self.mtts = bits

    def to_dict(self) -> dict[str, str | int | None]:
        """What the client told, as plain values (sent to the world over the link)."""
        return {"client": self.client, "term": self.term,
                "mtts": None if self.mtts is None else int(self.mtts), "width": self.width,
                "height": self.height, "charset": self.charset}

    @classmethod
    def from_dict(cls, data: dict[str, str | int | None]) -> Terminal:
        """The inverse of to_dict; unknown keys and bad values are ignored."""
        terminal = cls()
        terminal.update(data)
        return terminal

    def update(self, data: dict[str, str | int | None]) -> None:
        for name in ("client", "term", "charset"):
            value = data.get(name)
            if isinstance(value, str) or (value is None and name == "charset"):
                setattr(self, name, value if value is None else value[:40])
        for name in ("width", "height"):
            value = data.get(name)
            if value is None or (isinstance(value, int) and 0 < value < 10_000):
                setattr(self, name, value)
        mtts = data.get("mtts")
        self.mtts = Mtts(mtts & 0xFFF) if isinstance(mtts, int) else None

    def on_naws(self, cols: int, rows: int = 0) -> None:
        self.width = max(MIN_WIDTH, min(MAX_WIDTH, cols)) if cols else None
        self.height = max(MIN_HEIGHT, min(MAX_HEIGHT, rows)) if rows else None

    @property
    def colours(self) -> Colours:
        """The most colours the client announced (NONE when it announced nothing)."""
        return (self._known or self._work_out())[0]

    @property
    def encoding(self) -> str:
        """The codec for text to and from the client: the negotiated charset; else UTF-8 unless
        MTTS says the client has none (then Latin-1); UTF-8 when nothing was said."""
        return (self._known or self._work_out())[1]

    def _work_out(self) -> tuple[Colours, str]:
        self._known = (self._colours(), self._encoding())
        return self._known

    def _colours(self) -> Colours:
        if self.mtts is not None:
            if self.mtts & Mtts.TRUECOLOR:
                return Colours.TRUE
            if self.mtts & Mtts.COLOURS_256:
                return Colours.XTERM
            return Colours.ANSI if self.mtts & Mtts.ANSI else Colours.NONE
        return max(colours_of_name(self.term), colours_of_name(self.client))

    @property
    def screen_reader(self) -> bool:
        return bool(self.mtts is not None and self.mtts & Mtts.SCREEN_READER)

    def _encoding(self) -> str:
        if self.charset:
            return self.charset
        if self.mtts is not None and not self.mtts & Mtts.UTF8:
            return "latin-1"
        return "utf-8"
