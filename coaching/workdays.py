"""Public holidays: which days a team (or a rep in another country) doesn't work, from the `holidays` package.

A `HolidayCalendar` names a country (ISO 3166-1 alpha-2) and, where its holidays differ by region, a subdivision
(`DE-BY`, `GB-SCT`, `CH-ZH`). The dates come from the `holidays` package (computed, no I/O): no hand-made table.
`coaching.hours.WorkingHours` holds one, so every working-day test (nudges, cadences, snoozes, posts) is one test.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import holidays

#: The language `holidays` names a day in, per catalog language (its default is the country's own language).
_HOLIDAY_LANGUAGE = {"en": "en_US", "nl": "nl"}


@functools.cache
def _supported() -> dict[str, tuple[str, ...]]:
    return {code: tuple(subdivs) for code, subdivs in holidays.list_supported_countries().items()}


@functools.cache
def _table(country: str, subdiv: str | None, language: str | None = None) -> holidays.HolidayBase:
    # One table per calendar and language, shared by every lookup; it fills in each year on first use. A language
    # `holidays` lacks for the country falls back to English, then to the country's own.
    table = holidays.country_holidays(country, subdiv=subdiv)
    for wanted in (language, "en_US"):
        if wanted and wanted in table.supported_languages:
            return holidays.country_holidays(country, subdiv=subdiv, language=wanted)
    return table


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """A country's public holidays (and its region's, where `subdiv` is set); no country: no holidays."""

    country: str | None = None
    subdiv: str | None = None

    @classmethod
    def parse(cls, code: str) -> HolidayCalendar:
        """`NL`, `de-by` or `GB-SCT` as a calendar; ValueError (its text the code) for one `holidays` doesn't know."""
        country, _, subdiv = code.strip().upper().partition("-")
        known = _supported()
        if len(country) != 2 or country not in known:  # ISO 3166-1 alpha-2, as the reps are told to write it
            raise ValueError(code)
        if not subdiv:
            return cls(country)
        found = next((s for s in known[country] if s.upper() == subdiv), None)
        if found is None:
            raise ValueError(code)
        return cls(country, found)

    @property
    def code(self) -> str | None:
        """The calendar as a rep types it (`NL`, `DE-BY`), None without a country."""
        if self.country is None:
            return None
        return f"{self.country}-{self.subdiv}" if self.subdiv else self.country

    def is_holiday(self, day: dt.date) -> bool:
        """Whether `day` is a public holiday here."""
        return self.country is not None and day in _table(self.country, self.subdiv)

    def name(self, day: dt.date, language: str) -> str | None:
        """The holiday's name in the rep's language where `holidays` has it (else English), or None."""
        if self.country is None:
            return None
        return _table(self.country, self.subdiv, _HOLIDAY_LANGUAGE.get(language)).get(day)

    def next_holiday(self, day: dt.date, language: str) -> tuple[dt.date, str] | None:
        """The first public holiday from `day` on (within a year), with its name, or None."""
        for offset in range(366):
            date = day + dt.timedelta(days=offset)
            name = self.name(date, language)
            if name:
                return date, name
        return None


NO_HOLIDAYS = HolidayCalendar()


def subdivisions(country: str) -> tuple[str, ...]:
    """The regions `holidays` knows for `country` (empty for an unknown country), for error messages."""
    return _supported().get(country.upper(), ())


def country_of_locale(locale: str | None) -> str | None:
    """The country of a Slack locale (`nl-NL` -> `NL`, `en-GB` -> `GB`), None when it names none `holidays` knows."""
    _, _, region = (locale or "").replace("_", "-").partition("-")
    region = region.upper()
    return region if region in _supported() else None
