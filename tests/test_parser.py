"""The /call, /log, /break and /focus grammar, and what a message to the bot reads like."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coaching import parser
from coaching.domain import OUTCOME_ALIASES, OUTCOME_DUTCH, Outcome, WorkType
from coaching.parser import (
    MAX_TEXT,
    CallCommand,
    ParseError,
    message_command,
    normalize_lead,
    parse_break,
    parse_call,
    parse_focus,
    parse_log,
    parse_minutes,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme BV no-answer", CallCommand("Acme BV", Outcome.NO_ANSWER)),
        (
            "Initech meeting +research +dm demo booked for Tuesday",
            CallCommand("Initech", Outcome.MEETING, True, True, "demo booked for Tuesday"),
        ),
        ("Bakkerij Jansen geen-gehoor", CallCommand("Bakkerij Jansen", Outcome.NO_ANSWER)),
        ("Hoogendijk & Zn. afspraak +onderzocht", CallCommand("Hoogendijk & Zn.", Outcome.MEETING, True)),
    ],
)
def test_the_documented_examples(text, expected):
    assert parse_call(text) == expected


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize("style", ["hyphen", "space", "upper", "underscore"])
def test_every_outcome_in_both_languages(outcome, style):
    for word in (outcome.value, OUTCOME_DUTCH[outcome]):
        typed = {
            "hyphen": word,
            "space": word.replace("-", " "),
            "upper": word.upper(),
            "underscore": word.replace("-", "_"),
        }[style]
        call = parse_call(f"Café 't Hoekje {typed} note here")
        assert call.outcome is outcome, typed
        assert call.lead == "Café 't Hoekje"
        assert call.note == "note here"


def test_every_alias_is_accepted():
    for outcome, aliases in OUTCOME_ALIASES.items():
        for alias in aliases:
            assert parse_call(f"Lead {alias}").outcome is outcome


def test_lead_with_digits_quotes_accents_and_ampersand():
    assert parse_call('3M "Nederland" & Zoon B.V. busy').lead == '3M "Nederland" & Zoon B.V.'
    assert parse_call("Émile Müller voicemail").lead == "Émile Müller"


def test_flags_after_the_outcome_and_the_note_after_the_flags():
    call = parse_call("Acme meeting +DM +Research call back in Q3: no-answer at reception")
    assert (call.researched, call.decision_maker) == (True, True)
    assert call.note == "call back in Q3: no-answer at reception"


def test_the_first_outcome_word_ends_the_lead_and_quotes_keep_one_in():
    assert parse_call("Acme no answer try again for a meeting").lead == "Acme"
    quoted = parse_call('"Busy Bee BV" voicemail left a message')
    assert (quoted.lead, quoted.outcome, quoted.note) == ("Busy Bee BV", Outcome.VOICEMAIL, "left a message")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "error.call_empty"),
        ("   ", "error.call_empty"),
        ("no-answer", "error.call_no_lead"),
        ("Acme", "error.call_no_outcome"),
        ("Zeta Corp blorp", "error.unknown_outcome"),
        ("Acme meeting +urgent", "error.unknown_flag"),
        ("x" * 130 + " busy", "error.lead_too_long"),
        ("Acme\nbusy", "error.control_characters"),
        ("Acme\x00 busy", "error.control_characters"),
        ("Acme busy " + "x" * MAX_TEXT, "error.too_long"),
        ('"Acme" blorp', "error.unknown_outcome"),
    ],
)
def test_bad_input_names_what_was_wrong(text, key):
    with pytest.raises(ParseError) as err:
        parse_call(text)
    assert err.value.key == key


@given(st.text(max_size=300))
def test_only_the_parsers_own_error_ever_escapes(text):
    for parse in (parse_call, parse_log, parse_break, parse_focus):
        try:
            parse(text)
        except ParseError:
            pass


@given(
    st.lists(
        st.sampled_from(
            [
                "Acme",
                "BV",
                "&",
                "'s",
                "no",
                "answer",
                "busy",
                "+dm",
                "+research",
                "geen",
                "gehoor",
                "meeting",
                "3",
                "é",
                '"',
                "+x",
            ]
        ),
        max_size=12,
    )
)
def test_a_parsed_call_always_has_a_lead_and_a_known_outcome(words):
    try:
        call = parse_call(" ".join(words))
    except ParseError:
        return
    assert call.lead.strip() and len(call.lead) <= 120
    assert isinstance(call.outcome, Outcome)


def test_normalize_lead_folds_case_and_whitespace_but_keeps_accents():
    assert normalize_lead("  ACME   bv ") == normalize_lead("acme bv") == "acme bv"
    assert normalize_lead("Café") != normalize_lead("Cafe")


@pytest.mark.parametrize(
    ("word", "minutes"),
    [
        ("45", 45),
        ("45m", 45),
        ("45min", 45),
        ("1h", 60),
        ("1.5h", 90),
        ("1,5u", 90),
        ("1h30", 90),
        ("2u", 120),
        ("x", None),
        ("", None),
        ("h", None),
    ],
)
def test_minutes(word, minutes):
    assert parse_minutes(word) == minutes


def test_log_break_and_focus():
    assert parse_log("admin 30 CRM updates").work is WorkType.ADMIN
    assert parse_log("onderzoek 1h Initech").minutes == 60
    assert parse_log("voorbereiding 15").work is WorkType.PREP
    assert parse_break("").minutes == 10
    assert parse_break("15").minutes == 15
    assert parse_focus("bellen 60").work is WorkType.CALLS
    for text, key in [
        ("", "error.log_empty"),
        ("coffee 10", "error.unknown_work"),
        ("admin", "error.log_no_minutes"),
        ("admin soon", "error.log_no_minutes"),
        ("admin 0", "error.minutes_range"),
        ("admin 5000", "error.minutes_range"),
    ]:
        with pytest.raises(ParseError) as err:
            parse_log(text)
        assert err.value.key == key, text
    with pytest.raises(ParseError):
        parse_break("lunch")
    with pytest.raises(ParseError):
        parse_break("500")
    with pytest.raises(ParseError):
        parse_focus("calls 5")


@pytest.mark.parametrize(
    ("text", "reads_like"),
    [
        ("Acme BV no-answer +research", "call"),
        ("Bakkerij Jansen geen gehoor", "call"),
        ("Initech meeting +dm demo on Tuesday", "call"),
        ('"Busy Bee BV" voicemail', "call"),
        ("no-answer", "call"),  # an outcome without a lead: /call says what is missing
        ("Acme BV +research", "call"),  # a flag without an outcome: the same
        ("admin 30 CRM updates", "log"),
        ("E-mail 45m", "log"),
        ("meeting 1h", "log"),  # a kind of work and an outcome: the minutes make it work
        ("meeting", "log"),  # /log says what is missing
        ("admin soon", "log"),
        ("Mail Boxes BV no-answer", "call"),  # a lead named after a kind of work
        ("Research Partners connected +dm", "call"),
        ("help", "help"),
        ("HULP", "help"),
        ("?", "help"),
        ("help me", None),
        ("hello there", None),
        ("calls 60", None),  # a focus block's kind, not work /log takes, and no outcome
        ("", None),
        ("   ", None),
    ],
)
def test_what_a_message_to_the_bot_reads_like(text, reads_like):
    assert message_command(text) == reads_like


@given(st.text(max_size=200))
def test_reading_a_message_never_raises(text):
    assert message_command(text) in ("call", "log", "help", None)


def test_leaderboard_subscribe_takes_the_posts_language_and_refuses_others():
    assert parser.parse_leaderboard("subscribe weekly en").language == "en"
    assert parser.parse_leaderboard("aanmelden maand Nederlands").language == "nl"
    assert parser.parse_leaderboard("subscribe daily").language is None
    assert parser.parse_leaderboard("subscribe en team").language is None  # back to the team's language
    assert parser.parse_leaderboard("subscriptions").action == "subscriptions"
    with pytest.raises(parser.ParseError) as err:
        parser.parse_leaderboard("subscribe weekly fr")
    assert err.value.key == "error.leaderboard_language" and err.value.params == {"word": "fr"}
    with pytest.raises(parser.ParseError) as err:
        parser.parse_leaderboard("subscribe fortnightly")
    assert err.value.key == "error.leaderboard"
