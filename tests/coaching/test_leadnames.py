"""Finding a lead by the name a rep types (coaching.leadnames): pure, no database."""

import pytest

from coaching.leadnames import MAX_CHOICES, find_lead, match_key

LEADS = [
    (1, "Acme BV"),
    (2, "Bakkerij Jansen"),
    (3, "Hoogendijk & Zn."),
    (4, "Café Señor B.V."),
    (5, "Initech"),
    (6, "Acme Bakery Ltd"),
    (7, "Globex GmbH"),
]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Acme BV", "acme"),
        ("ACME B.V.", "acme"),
        ("Café Señor B.V.", "cafe senor"),
        ("Hoogendijk & Zn.", "hoogendijk zn"),
        ("Globex GmbH", "globex"),
        ("Müller Holding GmbH & Co. KG", "muller holding"),  # "GmbH & Co. KG" goes word by word
        ("BV", "bv"),  # a name that is nothing but a legal form keeps it
    ],
)
def test_the_match_key_leaves_out_accents_case_punctuation_and_a_trailing_legal_form(name, key):
    assert match_key(name) == key


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("acme", 1),  # the exact key wins over "Acme Bakery"
        ("Acme b.v.", 1),
        ("cafe senor", 4),
        ("CAFÉ", 4),
        ("jansen", 2),  # a word of the name
        ("hoogendyk", 3),  # a typo in one word of a longer name
        ("globx", 7),  # a typo
        ("initek", 5),
        ("acme bakery", 6),
    ],
)
def test_a_typed_name_finds_its_lead(typed, found):
    assert find_lead(typed, LEADS).found == found


@pytest.mark.parametrize("typed", ["zzyzx", "acne", "", "   ", "..."])
def test_nothing_like_any_lead_finds_none(typed):
    match = find_lead(typed, LEADS)
    assert match.lead_ids == () and match.found is None


def test_a_short_query_matches_the_start_of_a_word_only():
    assert find_lead("ac", LEADS).lead_ids == (1, 6)  # Acme BV, Acme Bakery Ltd
    assert find_lead("za", LEADS).lead_ids == ()
    assert find_lead("zn", LEADS).found == 3  # Hoogendijk & Zn.


def test_several_matches_come_best_first_and_at_most_a_short_list():
    leads = [(i, f"Northwind Branch {i:02d}") for i in range(12)] + [(99, "Northwind")]
    assert find_lead("northwind", leads).found == 99
    branches = find_lead("northwind branch", leads[:12])
    assert len(branches.lead_ids) == MAX_CHOICES and branches.more == 12 - MAX_CHOICES
    two = find_lead("acme", [(1, "Acme Logistics Benelux"), (2, "Acme Logistics")])
    assert two.lead_ids == (2, 1) and two.found is None  # equal scores: the shorter name first
