"""Our call outcomes and a CRM's call dispositions (HubSpot's "call outcomes"), both ways.

A HubSpot account has its own list of dispositions: HubSpot's six standard ones (Busy, Connected, Left live
message, Left voicemail, No answer, Wrong number) and any it added (e.g. "Meeting booked"). Ours map onto the
account's by label first (an account that has "Meeting booked" or "Not interested" gets those), then onto the
standard ones. A manager may set any outcome's disposition by hand (`/coach hubspot outcome ...`).
"""

from __future__ import annotations

import re

from coaching.domain import OUTCOME_ALIASES, Outcome

# Labels (folded) an account's disposition may carry for each of our outcomes, besides our own words for it.
LABELS: dict[Outcome, tuple[str, ...]] = {
    Outcome.NO_ANSWER: ("no answer", "geen gehoor", "niet opgenomen"),
    Outcome.VOICEMAIL: ("left voicemail", "voicemail", "voicemail ingesproken", "ingesproken"),
    Outcome.BUSY: ("busy", "bezet", "in gesprek"),
    Outcome.GATEKEEPER: ("gatekeeper", "receptie", "left live message"),
    Outcome.WRONG_PERSON: ("wrong person", "verkeerde persoon"),
    Outcome.CONNECTED: ("connected", "bereikt", "gesproken"),
    Outcome.MEETING: ("meeting booked", "meeting scheduled", "meeting set", "meeting", "afspraak", "afspraak gemaakt"),
    Outcome.NOT_INTERESTED: ("not interested", "geen interesse"),
    Outcome.CALLBACK: ("callback", "call back", "call back later", "terugbellen"),
}

# What each of our outcomes becomes where the account has no disposition of its own for it: HubSpot's standard
# label closest to it. A conversation HubSpot has no word for is "Connected".
STANDARD: dict[Outcome, str] = {
    Outcome.NO_ANSWER: "no answer",
    Outcome.VOICEMAIL: "left voicemail",
    Outcome.BUSY: "busy",
    Outcome.GATEKEEPER: "left live message",
    Outcome.WRONG_PERSON: "connected",
    Outcome.CONNECTED: "connected",
    Outcome.MEETING: "connected",
    Outcome.NOT_INTERESTED: "connected",
    Outcome.CALLBACK: "connected",
}

# HubSpot's standard dispositions read back as ours; "Wrong number" reached nobody.
STANDARD_BACK: dict[str, Outcome] = {
    "no answer": Outcome.NO_ANSWER,
    "left voicemail": Outcome.VOICEMAIL,
    "busy": Outcome.BUSY,
    "left live message": Outcome.GATEKEEPER,
    "wrong number": Outcome.NO_ANSWER,
    "connected": Outcome.CONNECTED,
}


def fold(label: str) -> str:
    """A label as compared: case-folded, words separated by single spaces."""
    return " ".join(re.split(r"[^\w]+", label.casefold())).strip()


def _names(outcome: Outcome) -> set[str]:
    return {fold(a) for a in OUTCOME_ALIASES[outcome]} | {fold(label) for label in LABELS[outcome]}


def by_label(labels: dict[str, str]) -> dict[str, str]:
    """Our outcome (value) -> the account's disposition id, from the account's labels (id -> label)."""
    folded = {fold(label): disposition for disposition, label in labels.items()}
    mapping = {}
    for outcome in Outcome:
        own = next((folded[name] for name in LABELS[outcome] + OUTCOME_ALIASES[outcome] if fold(name) in folded), None)
        mapping[outcome.value] = own or folded.get(STANDARD[outcome], "")
    return {outcome: disposition for outcome, disposition in mapping.items() if disposition}


def outcome_for(word: str) -> Outcome | None:
    """The outcome a word names (`meeting`, `geen-gehoor`, `no_answer`, ...), or None."""
    wanted = fold(word)
    return next((o for o in Outcome if wanted in {fold(a) for a in OUTCOME_ALIASES[o]}), None)


def outcome_of(disposition: str | None, labels: dict[str, str], mapping: dict[str, str]) -> Outcome | None:
    """Our outcome for a call's disposition: by its label, else the one outcome mapped onto it, else None."""
    if not disposition:
        return None
    label = fold(labels.get(disposition, ""))
    for outcome in Outcome:
        if label and label in _names(outcome):
            return outcome
    mapped = [outcome for outcome, target in mapping.items() if target == disposition]
    if len(mapped) == 1:
        return Outcome(mapped[0])
    return STANDARD_BACK.get(label)
