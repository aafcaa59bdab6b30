"""Numbers as a rep reads them: English uses a decimal point, Dutch a decimal comma.

Pure and tiny on purpose: findings keep raw numbers, and only rendering turns them into text in the rep's
language. A whole value drops its decimals ("5%", not "5.0%") because that is how people write them.
"""

from __future__ import annotations

import math

#: (decimal separator, thousands separator) per catalog language; unknown languages read as English.
_SEPARATORS = {"en": (".", ","), "nl": (",", ".")}
#: What a missing figure (no dials yet, no leads) shows as.
MISSING = "–"


def fmt_num(value: float | None, language: str, decimals: int = 1) -> str:
    """`value` with at most `decimals` decimals and grouped thousands: 1234.5 -> "1,234.5" / "1.234,5"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    text = f"{value:,.{decimals}f}" if decimals > 0 else f"{round(value):,}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    point, group = _SEPARATORS.get(language, _SEPARATORS["en"])
    return text.translate(str.maketrans({".": point, ",": group}))


def fmt_pct(share: float | None, language: str, decimals: int = 1) -> str:
    """A share (0.054) as a percentage ("5.4%" / "5,4%")."""
    if share is None:
        return MISSING
    number = fmt_num(share * 100, language, decimals)
    return number if number == MISSING else f"{number}%"
