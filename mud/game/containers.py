"""Containers as pure rules: what a container holds, putting things in and taking them out.

A container is an inventory row (or a floor item) of kind "container". What it holds lives in
its metadata, so it is saved with the row and travels with it when it is dropped or given:

    {"contents": [{"item": "copper_coin", "quantity": 7, "metadata": null}, ...]}

Each entry is one stack; a container holds at most `capacity` stacks. Stackable items without
metadata join the stack of their kind inside. A container never goes into a container. Things
inside do not take a stack in the pack. put_in and take_out change a character's rows, which
marks them for the write-behind saver.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mud.game.model import Character, InventoryItem
from mud.text import counted, upper_first
from mud.world.items import ItemTemplate


class Holder(Protocol):
    """An inventory row or a floor item: anything with an item id and metadata."""

    item_id: str
    quantity: int
    metadata: dict[str, Any] | None


@dataclass
class Content:
    """One stack inside a container (item_id and quantity, like a row, for target matching)."""

    item_id: str
    quantity: int = 1
    metadata: dict[str, Any] | None = None


class ContainerError(ValueError):
    """A refusal; code names it, the message is fit for the player."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def contents(holder: Holder) -> list[Content]:
    """The stacks inside (copies: changing them changes nothing until written back)."""
    raw = (holder.metadata or {}).get("contents") or []
    found = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("item"), str):
            continue
        quantity = entry.get("quantity", 1)
        if not isinstance(quantity, int) or quantity < 1:
            continue
        found.append(Content(entry["item"], quantity,
                             copy.deepcopy(entry.get("metadata")) or None))
    return found


def write(holder: Holder, entries: list[Content]) -> None:
    """Store entries as the holder's contents (a new metadata dict; other keys are kept)."""
    metadata = dict(holder.metadata or {})
    if entries:
        metadata["contents"] = [{"item": e.item_id, "quantity": e.quantity,
                                 "metadata": copy.deepcopy(e.metadata) or None}
                                for e in entries]
    else:
        metadata.pop("contents", None)
    holder.metadata = metadata or None


def stacks(holder: Holder) -> int:
    return len(contents(holder))


def add(entries: list[Content], container: ItemTemplate, item: ItemTemplate, quantity: int,
        metadata: dict[str, Any] | None = None) -> None:
    """Put quantity of item into entries (a container's contents), or raise ContainerError."""
    if container.kind != "container":
        raise ContainerError("NOT_A_CONTAINER", f"{upper_first(container.name)} is not a "
                             "container.")
    if item.kind == "container":
        raise ContainerError("CONTAINER_IN_CONTAINER",
                             f"You can't put {item.name} inside another container.")
    if quantity < 1:
        raise ContainerError("NOTHING", "You need at least one.")
    if item.stackable and not metadata:
        pile = next((e for e in entries if e.item_id == item.id and not e.metadata), None)
        if pile is not None:
            pile.quantity += quantity
            return
    if len(entries) >= container.capacity:
        raise ContainerError("CONTAINER_FULL", f"{upper_first(container.name)} is full "
                             f"({len(entries)}/{container.capacity} stacks).")
    entries.append(Content(item.id, quantity, copy.deepcopy(metadata) or None))


def take(entries: list[Content], entry: Content, quantity: int) -> Content:
    """Take up to quantity from the first stack equal to entry; returns what was taken."""
    index = next((i for i, e in enumerate(entries) if e == entry), None)
    if index is None:
        raise ContainerError("NOT_INSIDE", "That is not in there any more.")
    stack = entries[index]
    taken = min(max(quantity, 1), stack.quantity)
    if taken == stack.quantity:
        del entries[index]
    else:
        stack.quantity -= taken
    return Content(stack.item_id, taken, copy.deepcopy(stack.metadata))


def put_in(ch: Character, container: InventoryItem, container_template: ItemTemplate,
           row: InventoryItem, template: ItemTemplate, quantity: int) -> int:
    """Move quantity (at most the row's) of a carried row into a container ch carries; returns
    how many moved. Raises ContainerError, changing nothing, when it cannot."""
    if not ch.in_pack(container):
        raise ContainerError("CONTAINER_NOT_CARRIED",
                             f"You are not carrying {container_template.name}.")
    if row is container:
        raise ContainerError("CONTAINER_IN_CONTAINER",
                             f"You can't put {template.name} inside itself.")
    if not ch.in_pack(row):
        raise ContainerError("NOT_CARRIED", f"You are not carrying {template.name} in your "
                             "pack.")
    moved = min(max(quantity, 1), row.quantity)
    entries = contents(container)
    add(entries, container_template, template, moved, row.metadata)
    ch.remove_item(row, moved)
    write(container, entries)
    return moved


def take_out(ch: Character, container: InventoryItem, entry: Content, template: ItemTemplate,
             quantity: int) -> Content:
    """Move up to quantity of one stack inside a container ch carries into ch's pack, subject to
    the pack's capacity; returns what moved. Raises ContainerError, changing nothing."""
    if not ch.in_pack(container):
        raise ContainerError("CONTAINER_NOT_CARRIED", "You are not carrying that container.")
    if not ch.can_carry(entry.item_id, template.stackable and not entry.metadata):
        raise ContainerError("PACK_FULL",
                             f"You can't carry any more ({ch.inventory_capacity} stacks).")
    entries = contents(container)
    taken = take(entries, entry, quantity)
    write(container, entries)
    ch.add_item(taken.item_id, taken.quantity, template.stackable, taken.metadata)
    return taken


def listing(holder: Holder, items: Mapping[str, ItemTemplate]) -> list[str]:
    """One line per stack inside: 'a copper coin (x7)'."""
    lines = []
    for entry in contents(holder):
        template = items.get(entry.item_id)
        name = template.name if template is not None else f"something unknown ({entry.item_id})"
        lines.append(counted(name, entry.quantity))
    return lines
