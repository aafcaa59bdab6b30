from coaching_scenarios import Day, at, lead, run

from coaching.domain import WorkType
from coaching.findings import Count, Severity
from coaching.i18n import catalog, t
from coaching.render import count, format_param, render_finding, rules_help
from coaching.rules import RULES
from coaching.settings import CoachSettings


def test_params_follow_the_conventions():
    assert format_param("rate_pct", 0.0476, "en") == "4.8%"
    assert format_param("rate_pct", 0.0476, "nl") == "4,8%"
    assert format_param("average", 1.25, "nl") == "1,2"
    assert format_param("dials", 1200, "nl") == "1.200"
    assert format_param("work", WorkType.ADMIN, "nl") == "administratie"
    assert format_param("name", "Hoogendijk & <Zn>", "en") == "Hoogendijk &amp; &lt;Zn&gt;"
    assert format_param("missing", None, "en") == "–"


def test_counted_nouns_take_the_plural():
    assert count(Count(1, "lead"), "en") == "1 lead"
    assert count(Count(3, "attempt"), "nl") == "3 pogingen"
    assert count(Count(4.5, "hour"), "nl") == "4,5 uur"
    assert count(Count(1, "minute"), "nl") == "1 minuut"


def test_lead_lists_are_cut_short():
    names = tuple(f"Lead {i}" for i in range(8))
    assert format_param("leads", names, "en") == "Lead 0, Lead 1, Lead 2, Lead 3, Lead 4 and 3 more"
    assert format_param("leads", names, "nl").endswith("Lead 4 en nog 3")


def test_render_finding_in_both_languages():
    finding = run(leads=[lead("Hoogendijk & Zn.", 2)])[0]
    english = render_finding(finding, "en")
    assert english.startswith("*Leads dropped early (1):* Hoogendijk &amp; Zn.")
    assert "aim for 6 attempts" in english
    assert english.endswith("_Evidence: Velocify (B); InsideSales audits (C)_")
    dutch = render_finding(finding, "nl")
    assert dutch.startswith("*Te vroeg losgelaten (1):* Hoogendijk &amp; Zn.")
    assert "mik op 6 pogingen" in dutch


def test_a_warning_now_reads_as_one():
    finding = run(Day().calls(at(9), 11, 10), now=at(10, 45))[0]
    assert finding.severity is Severity.WARNING
    assert render_finding(finding, "en").startswith("*You've been at it for 100 minutes without a break.*")
    assert render_finding(finding, "nl").startswith("*Je bent al 100 minuten bezig zonder pauze.*")


def test_every_default_threshold_reads_as_our_default():
    # Where the evidence notes call a number a guess, the rep reads "our default" / "onze standaard".
    en, nl = catalog("en"), catalog("nl")
    for key in [f"rule.{code}.tip" for code in ("M102", "M103", "M202", "M301", "M302", "M401", "M501", "M502")]:
        assert "our default" in en[key].casefold(), key
        assert "onze standaard" in nl[key].casefold(), key
    assert "our default" in en["rule.M501.tip_now"] and "onze standaard" in nl["rule.M501.tip_now"]


def test_rules_help_lists_every_rule():
    for language in ("en", "nl"):
        text = rules_help(language)
        for rule in RULES:
            assert f"`{rule.code}` *{t(language, rule.name)}*" in text
        for number in range(1, 6):
            assert t(language, f"misconception.m{number}") in text
    assert "Fewer than 5% of your dials" in rules_help("en")
    assert "Minder dan 5% van je belpogingen" in rules_help("nl")


def test_rules_help_shows_a_teams_own_thresholds():
    team = CoachSettings().with_overrides({"connect_rate_floor": 0.075, "no_break_day_minutes": 300})
    assert "Fewer than 7.5% of your dials" in rules_help("en", team)
    assert "5 uur of meer gelogd werk" in rules_help("nl", team)
