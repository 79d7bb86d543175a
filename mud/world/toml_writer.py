"""Writing TOML in the shapes world files use: top-level keys, [table]s and [[arrays of
tables]], whose values are strings, whole numbers, floats, booleans, arrays and inline tables.
Text with line breaks becomes a multi-line string, as the hand-written files have it; what
tomllib reads back is exactly what was written."""

from __future__ import annotations

import re
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\f": "\\f", "\r": "\\r"}


def _escaped(text: str, multiline: bool) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == "\n":
            out.append("\n" if multiline else "\\n")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _string(text: str) -> str:
    if "\n" in text:  # the line break after the opening quotes is not part of the string
        return '"""\n' + _escaped(text, True) + '"""'
    return '"' + _escaped(text, False) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _string(key)


def value(data: Any) -> str:
    """One value, inline."""
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int | float):
        return repr(data)
    if isinstance(data, str):
        return _string(data)
    if isinstance(data, list | tuple):
        return "[" + ", ".join(value(item) for item in data) + "]"
    if isinstance(data, dict):
        inner = ", ".join(f"{_key(k)} = {value(v)}" for k, v in data.items())
        return "{ " + inner + " }" if inner else "{}"
    raise TypeError(f"cannot write {type(data).__name__} as TOML")


def _is_table_array(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(d, dict) for d in data)


def _body(table: dict[str, Any]) -> list[str]:
    return [f"{_key(k)} = {value(v)}" for k, v in table.items()]


def dumps(document: dict[str, Any]) -> str:
    """A whole file: top-level values first, then each table and array of tables."""
    lines = _body({k: v for k, v in document.items()
                   if not isinstance(v, dict) and not _is_table_array(v)})
    for key, data in document.items():
        if isinstance(data, dict):
            lines += ["", f"[{_key(key)}]", *_body(data)]
        elif _is_table_array(data):
            for table in data:
                lines += ["", f"[[{_key(key)}]]", *_body(table)]
    return "\n".join(lines).lstrip("\n") + "\n"
