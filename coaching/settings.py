"""Every threshold the coaching rules use, in one frozen record a team can override.

Defaults come from the default table in the evidence notes. Where the research gives no number, the default is
ours and the rules say so to the rep ("our default"). A team's overrides arrive as stored JSON, so
`with_overrides` checks names, types and ranges and names the offending key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

_Record = TypeVar("_Record")


def _setting(default: int | float, doc: str, *, low: float = 0, high: float | None = None) -> Any:
    """A field with its meaning and allowed range, so validation and the rules docs read one source."""
    return field(default=default, metadata={"doc": doc, "low": low, "high": high})


def _share(default: float, doc: str) -> Any:
    return _setting(default, doc, low=0, high=1)


class Thresholds:
    """What every settings record of numbers shares: checked on creation, overridable from a team's JSON."""

    __slots__ = ()

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):  # type: ignore[arg-type]
            # Store the checked value so an int given for a share reads back as a float.
            object.__setattr__(self, spec.name, _check(spec, getattr(self, spec.name)))

    def with_overrides(self, overrides: Mapping[str, object]) -> Self:
        """These settings with `overrides` applied; ValueError names the first unknown or invalid key."""
        specs = {spec.name: spec for spec in dataclasses.fields(self)}  # type: ignore[arg-type]
        changes: dict[str, int | float] = {}
        for name, value in overrides.items():
            spec = specs.get(name)  # type: ignore[arg-type]
            if spec is None:
                raise ValueError(f"unknown setting {name!r}")
            changes[name] = _check(spec, value)
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, int | float]:
        """The settings as plain JSON-ready values."""
        return {spec.name: getattr(self, spec.name) for spec in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class CoachSettings(Thresholds):
    """Coaching thresholds. Shares are fractions (0.05 is 5%); durations are minutes."""

    # M1 quality over quantity
    connect_rate_min_dials: int = _setting(20, "Dials in a day before the connect rate is judged (M101).", low=1)
    connect_rate_floor: float = _share(0.05, "Flag a connect rate under this share of dials (M101; Gong/30MPC).")
    research_min_first_calls: int = _setting(3, "First calls in a day before research is judged (M102).", low=1)
    unresearched_share_max: float = _share(0.5, "Flag when more than this share of first calls had no research.")
    decision_maker_min_contacts: int = _setting(5, "Contacts in a day before reaching the decision maker is judged.")
    missed_decision_maker_share_max: float = _share(
        0.5, "Flag when more than this share of contacts ended at the gatekeeper or the wrong person (M103)."
    )
    # M2 follow-up
    early_drop_attempts: int = _setting(
        3, "A never-reached lead closed after fewer attempts than this was dropped early (M201).", low=1
    )
    target_attempts: int = _setting(6, "Attempts to aim for before nurture (Velocify: 93% reached by the 6th).", low=1)
    persistence_min_leads: int = _setting(3, "Closed, never-reached leads needed before persistence is judged.", low=1)
    persistence_average_floor: float = _setting(
        3.0, "Flag an average under this many attempts on closed, never-reached leads (M202)."
    )
    lead_lookback_days: int = _setting(
        14, "Only leads attempted in this many days count for M201/M202 (a cadence runs ~10 business days).", low=1
    )
    # M3 admin
    admin_max_minutes: int = _setting(120, "Flag more admin minutes than this in a day (M301).")
    admin_max_share: float = _share(0.30, "Flag admin above this share of the day's working time (M301).")
    admin_share_min_working_minutes: int = _setting(
        120, "Working minutes in a day before the admin share is judged (M301)."
    )
    admin_max_pieces: int = _setting(4, "Flag admin split into more separate pieces than this in a day (M302).")
    # M4 multitasking
    switch_max_per_window: int = _setting(6, "Flag more switches between kinds of work than this in a window (M401).")
    switch_window_minutes: int = _setting(60, "The sliding window for counting switches (M401).", low=1)
    # M5 breaks
    streak_gap_minutes: int = _setting(20, "A gap longer than this between activities ends a streak of work.")
    streak_max_minutes: int = _setting(90, "Flag a streak of work this long without a break (M501).", low=1)
    no_break_day_minutes: int = _setting(240, "Flag a working day this long with no break at all (M502).", low=1)


def from_stored(base: _Record, data: Mapping[str, object] | None, **read: Callable[[Any], object]) -> _Record:
    """`base` with the fields that stored team settings `data` give, each converted by its reader in `read`.

    A field `data` leaves out keeps its value in `base`; keys without a reader are ignored.
    """
    if not data:
        return base
    return dataclasses.replace(base, **{name: convert(data[name]) for name, convert in read.items() if name in data})  # type: ignore[type-var]


def _check(spec: dataclasses.Field, value: object) -> int | float:
    """The value converted to the field's type, or ValueError naming the field."""
    # bool is an int in Python, but `true` for a threshold in stored JSON is a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"setting {spec.name!r}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"setting {spec.name!r}: expected a finite number, got {value!r}")
    if spec.type in ("int", int):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"setting {spec.name!r}: expected a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    low, high = spec.metadata["low"], spec.metadata["high"]
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"setting {spec.name!r}: expected a number {bounds}, got {value!r}")
    return value
