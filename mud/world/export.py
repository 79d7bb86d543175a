"""`mud export-world`: the builders' overlay written back into world data files. The result is
a complete world folder, a copy of the world files with changed and new rooms in their zone
files and changed items in the items file that defines them, checked by loading it back.
Files with changes are rewritten whole (their comments are not kept); the others are copied."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mud.world.loader import World, load_world
from mud.world.overlay import ITEM_FIELDS, Overlay, apply_overlay
from mud.world.toml_writer import dumps

MARKER = ".mud-export"  # marks a folder export_world made, which it may replace


class ExportError(Exception):
    """The export cannot be written where it was asked to be; nothing was written."""


def _prepare(world_dir: Path, out: Path) -> None:
    """out as a fresh copy of world_dir."""
    source, target = world_dir.resolve(), out.resolve()
    if target == source or source in target.parents:
        raise ExportError(f"{out} is inside the world folder {world_dir}; choose another --out")
    if target.exists() and any(target.iterdir()) and not (target / MARKER).exists():
        raise ExportError(f"{out} exists and is not empty (nor an earlier export); empty it or "
                          "choose another --out")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    (target / MARKER).write_text("Written by `mud export-world`; the next export replaces it.\n")


class _Files:
    """The export's TOML documents, read once each, written back if changed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.documents: dict[Path, dict[str, Any]] = {}
        self.changes: dict[Path, list[str]] = {}

    def read(self, path: Path) -> dict[str, Any]:
        if path not in self.documents:
            with path.open("rb") as fh:
                self.documents[path] = tomllib.load(fh)
        return self.documents[path]

    def entry(self, paths: list[Path], key: str, entry_id: str) -> tuple[Path, dict[str, Any]]:
        """The [[key]] table with id entry_id and the file holding it."""
        for path in paths:
            for table in self.read(path).get(key, []):
                if table.get("id") == entry_id:
                    return path, table
        raise ExportError(f"no file defines {key} '{entry_id}'")

    def changed(self, path: Path, what: str) -> None:
        self.changes.setdefault(path, []).append(what)

    def write(self, progress: Callable[[str], None]) -> None:
        for path, what in self.changes.items():
            path.write_text(dumps(self.documents[path]))
            progress(f"wrote {path.relative_to(self.root)}: {', '.join(what)}")


def _rooms(files: _Files, world: World, overlay: Overlay) -> None:
    zone_files = sorted((files.root / "zones").glob("*.toml"))
    by_zone = {files.read(path).get("zone", {}).get("id"): path for path in zone_files}
    for room_id in sorted(overlay.rooms.keys() & world.rooms.keys()):
        room = world.rooms[room_id]
        fields = {"name": room.name, "description": room.description, "exits": room.exits}
        if room.place:  # a renamed room has none: its place is made from its new name
            fields["place"] = room.place
        try:
            path, table = files.entry(zone_files, "room", room_id)
            table.pop("place", None)
            table.update(fields)
            files.changed(path, f"room {room_id} changed")
        except ExportError:
            path = by_zone[room.zone]
            files.read(path).setdefault("room", []).append({"id": room_id, **fields})
            files.changed(path, f"room {room_id} added")


def _items(files: _Files, world: World, overlay: Overlay) -> None:
    item_files = sorted(files.root.glob("items*.toml")) + sorted(files.root.glob("items/*.toml"))
    for item_id in sorted(overlay.items.keys() & world.items.keys()):
        if world.items[item_id].kind == "essence":
            continue  # made from essences.toml: apply_overlay left it out
        path, table = files.entry(item_files, "item", item_id)
        template = world.items[item_id]
        for name in overlay.items[item_id].keys() & ITEM_FIELDS.keys():
            current = getattr(template, name)
            table[name] = list(current) if isinstance(current, tuple) else current
        files.changed(path, f"item {item_id} changed")


def export_world(world_dir: Path, overlay: Overlay, out: Path,
                 progress: Callable[[str], None]) -> World:
    """Write world_dir with overlay applied to out and load it back; returns the world it
    holds. Raises WorldError (the files have problems) or ExportError."""
    world, left_out = apply_overlay(load_world(world_dir), overlay)
    for problem in left_out:
        progress(f"not exported: {problem}")
    _prepare(world_dir, out)
    progress(f"copied {world_dir} to {out}")
    files = _Files(out.resolve())
    _rooms(files, world, overlay)
    _items(files, world, overlay)
    files.write(progress)
    return load_world(out)
