"""An ASCII map of the rooms around one: laid out by the compass exits (north, south, east,
west), each room a box, the one you stand in marked. Rooms reached only by other exits (up,
down, a gate) are left off; a room whose place on the grid another room took is drawn once."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from mud.world.loader import RoomTemplate

STEPS = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}
HERE, ROOM, UP_DOWN = "[*]", "[ ]", "[+]"  # you; a room; a room with a way up or down


def layout(rooms: Mapping[str, RoomTemplate], start: str, radius: int
           ) -> dict[tuple[int, int], str]:
    """Grid position -> room id of the rooms within radius compass steps of start."""
    placed: dict[tuple[int, int], str] = {(0, 0): start}
    seen = {start}
    queue = deque([(start, 0, 0)])
    while queue:
        room_id, x, y = queue.popleft()
        for direction, (dx, dy) in STEPS.items():
            target = rooms[room_id].exits.get(direction)
            spot = (x + dx, y + dy)
            if target is None or target in seen or target not in rooms or spot in placed \
                    or max(abs(spot[0]), abs(spot[1])) > radius:
                continue
            placed[spot] = target
            seen.add(target)
            queue.append((target, *spot))
    return placed


def draw_map(rooms: Mapping[str, RoomTemplate], start: str, radius: int = 2) -> list[str]:
    """The map's lines: boxes three characters wide, `-` and `|` for the exits between them."""
    placed = layout(rooms, start, radius)
    xs = [x for x, _ in placed]
    ys = [y for _, y in placed]
    lines = []
    for y in range(min(ys), max(ys) + 1):
        row, below = [], []
        for x in range(min(xs), max(xs) + 1):
            room_id = placed.get((x, y))
            exits = rooms[room_id].exits if room_id else {}
            box = HERE if room_id == start else (
                UP_DOWN if "up" in exits or "down" in exits else ROOM) if room_id else "   "
            linked_east = room_id is not None and exits.get("east") == placed.get((x + 1, y)) \
                and (x + 1, y) in placed
            linked_south = room_id is not None and exits.get("south") == placed.get((x, y + 1)) \
                and (x, y + 1) in placed
            row.append(box + ("-" if linked_east else " "))
            below.append(" | " if linked_south else "   ")
            below.append(" ")
        lines.append("".join(row).rstrip())
        if y < max(ys):
            lines.append("".join(below).rstrip())
    return lines
