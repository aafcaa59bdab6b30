"""Finding a lead by the name a rep types: "acme" finds "Acme BV", "jansen" finds "Bakkerij Jansen".

Names are compared on a match key: accents, case, punctuation and a trailing legal form (BV, B.V., Ltd, GmbH, ...)
left out. A key equal to the query's wins outright; otherwise rapidfuzz's partial ratio scores every lead (the
best-matching part of its name), so a part of the name, or one with a small typo, still finds it. Pure: the
caller hands in the team's leads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

#: Legal forms dropped from the end of a name (written without dots: "B.V." becomes "bv" before the check).
LEGAL_FORMS = frozenset(
    "bv nv vof cv bvba sprl ltd limited llc llp plc inc incorporated corp corporation co gmbh ag kg ug se sa sas "
    "sarl srl spa oy ab as aps asa pty".split()
)

#: The lowest rapidfuzz partial ratio (0 to 100) a lead needs to be offered: the best-matching part of its name
#: against what was typed. A part typed right scores 100, one typo in a word of 6 to 10 letters 85 to 91
#: ("globx" / "globex" 89, "hoogendyk" / "hoogendijk zn" 88), a different word of the same length 75 or less.
MIN_SCORE = 85

#: Queries shorter than this match the start of a word of the name only.
SHORT = 4

#: At most this many leads are offered to pick from; more means the rep should type more of the name.
MAX_CHOICES = 8

_NON_WORD = re.compile(r"[^\w]+")


@lru_cache(maxsize=100_000)  # a team's names come back with every `/lead`; computing them is most of its time
def match_key(name: str) -> str:
    """The key names are compared on: no accents, case-folded, no punctuation, no trailing legal form."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    # "B.V." and "N.V." are one word once their dots go; other punctuation separates words.
    words = _NON_WORD.sub(" ", plain.casefold().replace(".", "")).split()
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class LeadMatch:
    """What a typed name found: one lead to show, several to pick from (best first), or none."""

    lead_ids: tuple[int, ...]
    more: int = 0  # matches beyond the ones offered

    @property
    def found(self) -> int | None:
        """The lead to show, when there is exactly one."""
        return self.lead_ids[0] if len(self.lead_ids) == 1 else None


def find_lead(query: str, leads: Iterable[tuple[int, str]]) -> LeadMatch:
    """Match `query` against `leads` (id, name): an exact key match, else the leads scoring `MIN_SCORE` or more."""
    wanted = match_key(query)
    if not wanted:
        return LeadMatch(())
    keys = {lead_id: match_key(name) for lead_id, name in leads}
    exact = tuple(lead_id for lead_id, key in keys.items() if key == wanted)
    if exact:
        return LeadMatch(exact[:MAX_CHOICES], max(0, len(exact) - MAX_CHOICES))
    if len(wanted) < SHORT:
        # Too short to tell a typo from another name: a word of the name must start with it.
        scored = {
            lead_id: 100 if key.startswith(wanted) else 90
            for lead_id, key in keys.items()
            if any(word.startswith(wanted) for word in key.split())
        }
    else:
        hits = process.extract(wanted, keys, scorer=fuzz.partial_ratio, score_cutoff=MIN_SCORE, limit=None)
        scored = {lead_id: score for _key, score, lead_id in hits}
    # Best score first; among equals the shorter name, which holds less besides what was typed.
    ranked = sorted(scored, key=lambda lead_id: (-scored[lead_id], len(keys[lead_id]), keys[lead_id]))
    return LeadMatch(tuple(ranked[:MAX_CHOICES]), max(0, len(ranked) - MAX_CHOICES))
