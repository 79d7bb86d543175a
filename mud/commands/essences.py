"""Essences: bond (with a confirmation, as it cannot be undone) and the essences list."""

from __future__ import annotations

import logging

from mud.commands.context import Context
from mud.commands.registry import command
from mud.commands.targets import BadTarget, parse_target, select
from mud.game import rules
from mud.game.bonding import BondPlan, Gain, GameError, plan_bond
from mud.game.model import InventoryItem
from mud.store.bonds import commit_bond
from mud.text import upper_first

log = logging.getLogger("mud.bonds")

USAGE = "Usage: bond <essence item> to <power | speed | spirit | recovery>"


def _parse(ctx: Context) -> tuple[InventoryItem, str] | None:
    """The carried essence item and the attribute a bond command names, or None (told why)."""
    words = ctx.args.split()
    if len(words) >= 3 and words[-2].lower() == "to":
        del words[-2]
    if len(words) < 2:
        ctx.send(USAGE)
        return None
    attribute = words.pop().lower()
    matches = [a for a in rules.ATTRIBUTES if a.startswith(attribute)]
    if len(matches) != 1:
        ctx.send(f"'{attribute[:20]}' is not an attribute. {USAGE}")
        return None
    try:
        spec = parse_target(" ".join(words))
    except BadTarget as exc:
        ctx.send(str(exc))
        return None
    carried = [row for row in ctx.ch.inventory if row.slot is None]
    found = select(carried, spec, ctx.item_words)
    if not found or spec.keyword is None:
        ctx.send(f"You are not carrying any '{' '.join(words)[:30]}'.")
        return None
    return found[0], matches[0]


def _plan(ctx: Context, row: InventoryItem, attribute: str) -> BondPlan | None:
    ch = ctx.ch
    essence_id = ctx.game.item(row.item_id).essence
    try:
        if not essence_id:
            raise GameError("NOT_AN_ESSENCE", f"{upper_first(ctx.game.item(row.item_id).name)} "
                                              "is not an essence; only essences can be bonded.")
        return plan_bond(ch, ctx.game.world.essences, row.id, essence_id, attribute)
    except GameError as exc:
        _refused(ctx, exc, essence_id)
        return None


def _refused(ctx: Context, exc: GameError, essence_id: str) -> None:
    log.info("event=bond_refused code=%s character=%s essence=%s", exc.code, ctx.ch.name,
             essence_id or "-")
    ctx.send(exc.message + " Nothing has changed.")


def _raised(gain: Gain) -> str:
    """'Recovery +6 (now 16).': the attribute as this one gain left it."""
    return f"{gain.attribute.capitalize()} +{gain.points} (now {gain.value})."


def _announce(ctx: Context, plan: BondPlan) -> None:
    ch, catalogue = ctx.ch, ctx.game.world.essences
    essence, gain = plan.essences[0], plan.gains[0]
    lines = [f"You bond the {essence.essence_type} essence to {gain.attribute}. It sinks into "
             f"you and becomes part of you. {_raised(gain)}"]
    confluence = plan.confluence
    if confluence is not None:
        c_gain = plan.gains[1]
        lines.append(f"The three essences within you flow together: the "
                     f"{confluence.essence_type} confluence essence forms, bound to "
                     f"{c_gain.attribute}. {_raised(c_gain)}")
    for new in plan.essences:
        template = catalogue.by_id[new.essence_type]
        gained = [a for a in plan.abilities if a.essence_id == new.id]
        awake = [a.ability_name for a in gained if a.awakened]
        asleep = [f"{a.name} ({a.awakens})" for a in template.abilities
                  if a.name not in awake]
        lines.append(f"{template.name} abilities: {', '.join(awake) or 'none yet'}"
                     + (f"; still asleep: {', '.join(asleep)}" if asleep else "") + ".")
    lines.append("Type 'abilities' to see them.")
    ctx.send("\n".join(lines))
    ctx.game.tell_room(ctx.room, f"{ch.name} bonds {catalogue.by_id[essence.essence_type].name}"
                                 f" essence; for a moment the air around them shimmers.",
                       exclude=[ch])


@command("bond", category="essences")
def bond(ctx: Context) -> None:
    """Bond an essence you carry to one of your attributes. This cannot be undone.

    Usage: bond <essence item> to <power | speed | spirit | recovery>
    Example: bond fire to power
    You can hold four essences: three you bond yourself, and a confluence that forms from
    those three when you bond the third. The bound attribute rises, more if the essence
    favours it; the essence's abilities awaken as your rank rises.
    """
    parsed = _parse(ctx)
    if parsed is None:
        return
    row, attribute = parsed
    plan = _plan(ctx, row, attribute)
    if plan is None:
        return
    template = ctx.game.world.essences.by_id[plan.essences[0].essence_type]
    ctx.confirm(f"Bonding {template.item_name} to {attribute} cannot be undone. "
                f"{attribute.capitalize()} will rise by {plan.gains[0].points}."
                f"{_confluence_note(plan)} Bond it?",
                "bonding", lambda: _bond_confirmed(ctx, row, attribute),
                brief=f"Bond {template.item_name} to {attribute}?")


def _confluence_note(plan: BondPlan) -> str:
    """What the third bond forms besides, for its question; '' for the first two."""
    if plan.confluence is None:
        return ""
    gain = plan.gains[1]
    return (f" As your third essence it will also form the {plan.confluence.essence_type} "
            f"confluence essence, bound to {gain.attribute} (+{gain.points}).")


async def _bond_confirmed(ctx: Context, row: InventoryItem, attribute: str) -> None:
    if row not in ctx.ch.inventory:
        ctx.send("The essence is no longer in your inventory. Nothing has changed.")
        return
    plan = _plan(ctx, row, attribute)  # again: things may have changed since the question
    if plan is None:
        return
    try:
        await commit_bond(ctx.server.saver, ctx.ch, plan)
    except GameError as exc:
        _refused(ctx, exc, plan.essences[0].essence_type)
        return
    log.info("event=bond character=%s essence=%s attribute=%s confluence=%s", ctx.ch.name,
             plan.essences[0].essence_type, attribute,
             plan.confluence.essence_type if plan.confluence else "-")
    _announce(ctx, plan)


@command("essences", category="essences")
def essences(ctx: Context) -> None:
    """List your bonded essences: what each is bound to and what it gives."""
    ch, catalogue = ctx.ch, ctx.game.world.essences
    if not ch.essences:
        ctx.send("You have bonded no essences yet. Find an essence and 'bond' it.")
        return
    lines = [f"Your essences ({len(ch.essences)}/{rules.MAX_ESSENCES}):"]
    for essence in ch.essences:
        template = catalogue.by_id.get(essence.essence_type)
        kind = "confluence" if template and template.confluence else "essence"
        favoured = template is not None and template.favours == essence.attribute_bound
        points = rules.bond_bonus(essence.rank_bonded, favoured)
        lines.append(f"  {essence.essence_type.capitalize():<12} {kind:<10} bound to "
                     f"{essence.attribute_bound} (+{points}), bonded at {essence.rank_bonded}"
                     " rank")
        if template is not None:
            lines.append(f"    {template.description}")
    ctx.send("\n".join(lines))
