"""Finding a lead by the name a rep types: "acme" finds "Acme BV", "jansen" finds "Bakkerij Jansen".

Names are compared on a match key: accents, case, punctuation and a trailing legal form (BV, B.V., Ltd, GmbH, ...)
left out. A key equal to the query's wins outright; otherwise rapidfuzz's weighted ratio scores every lead, so
a part of the name or a small typo still finds it, also a typo in one word of a longer name. Pure: the caller
hands in the team's leads.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

#: Legal forms dropped from the end of a name (written without dots: "B.V." becomes "bv" before the check).
LEGAL_FORMS = frozenset(
    "bv nv vof cv bvba sprl ltd limited llc llp plc inc incorporated corp corporation co gmbh ag kg ug se sa sas "
    "sarl srl spa oy ab as aps asa pty".split()
)

#: The lowest rapidfuzz WRatio (0 to 100) a lead needs to be offered: a part of the name scores 90, a typo in a
#: five-letter name about 80, an unrelated name of similar length under 50.
MIN_SCORE = 80

#: At most this many leads are offered to pick from; more means the rep should type more of the name.
MAX_CHOICES = 8

_NON_WORD = re.compile(r"[^\w]+")


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
    scored = process.extract(wanted, keys, scorer=_score, score_cutoff=MIN_SCORE, limit=None)
    # Best score first; among equals the shorter name, which holds less besides what was typed.
    ranked = sorted(scored, key=lambda hit: (-hit[1], len(hit[0]), hit[0]))
    ids = tuple(lead_id for _key, _score, lead_id in ranked)
    return LeadMatch(ids[:MAX_CHOICES], max(0, len(ids) - MAX_CHOICES))


def _score(query: str, key: str, **_: object) -> float:
    """How well `query` matches `key`, 0 to 100: rapidfuzz's WRatio, or a word of the name typed with a typo.

    WRatio scores a typo in one word of a longer name low ("hoogendyk" against "hoogendijk zn": 73), so the
    query is also compared with each run of as many words of the name; under 4 letters a typo is a guess.
    """
    best = fuzz.WRatio(query, key)
    if len(query) >= 4:
        size, words = len(query.split()), key.split()
        for start in range(len(words) - size + 1):
            best = max(best, fuzz.ratio(query, " ".join(words[start : start + size])))
    return best
