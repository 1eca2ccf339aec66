"""The aid list's link to a household's relief claim: a dict lookup templates cannot write."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def claim_of(claims: dict[int, int] | None, building_id: int) -> int | None:
    """The id of the building's claim in `claims` (building id -> claim id), or None."""
    return (claims or {}).get(building_id)
