"""Areas as a Thai officer reads them: ไร่-งาน-ตารางวา beside square metres with separators.

1 ไร่ = 4 งาน = 400 ตารางวา = 1,600 m²; 1 งาน = 400 m²; 1 ตารางวา = 4 m².
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import translation

register = template.Library()

M2_PER_WA = Decimal(4)
WA_PER_NGAN = 100
WA_PER_RAI = 400
_UNITS = {
    "th": ("ไร่", "งาน", "ตารางวา", "ตร.ม."),
    "en": ("rai", "ngan", "square wa", "m²"),
}


def _units() -> tuple[str, str, str, str]:
    return _UNITS["th" if translation.get_language() == "th" else "en"]


def _square_metres(value) -> Decimal | None:
    try:
        area = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return area if area.is_finite() and area >= 0 else None


def _number(value: Decimal) -> str:
    """1,250 or 8.8: thousands separated, one decimal only when there is one."""
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.1f}"


@register.filter
def rai_ngan_wa(value_m2) -> str:
    """`39 ไร่ 2 งาน 8.8 ตารางวา` for 63,235 m² (parts that are zero left out); "" for no area."""
    area = _square_metres(value_m2)
    if area is None:
        return ""
    wa = (area / M2_PER_WA).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    rai, rest = divmod(wa, WA_PER_RAI)
    ngan, wa = divmod(rest, WA_PER_NGAN)
    rai_unit, ngan_unit, wa_unit, _m2 = _units()
    parts = [
        f"{_number(amount)} {unit}"
        for amount, unit in ((rai, rai_unit), (ngan, ngan_unit), (wa, wa_unit))
        if amount
    ]
    return " ".join(parts) or f"0 {wa_unit}"


@register.filter
def square_metres(value_m2) -> str:
    """`63,235 ตร.ม.` (`63,235 m²` in English), rounded to the metre; "" for no area."""
    area = _square_metres(value_m2)
    if area is None:
        return ""
    return f"{_number(area.quantize(Decimal(1), rounding=ROUND_HALF_UP))} {_units()[3]}"
