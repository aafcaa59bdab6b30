import dataclasses
import inspect
import re
import string
from pathlib import Path

import pytest

from coaching import rules as registry
from coaching.i18n import LANGUAGES, catalog, has
from coaching.rules import RULES, by_code
from coaching.rules.__main__ import rules_markdown
from coaching.settings import CoachSettings

HEADINGS = ("What it checks", "Why it matters", "What to do", "Evidence")
RULES_DIR = Path(registry.__file__).parent


def test_codes_are_unique_well_formed_and_in_code_order():
    codes = [rule.code for rule in RULES]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"M[1-5]\d\d", code) for code in codes)
    assert len({rule.slug for rule in RULES}) == len(RULES)


def test_every_misconception_has_rules_and_codes_match_it():
    assert {rule.misconception for rule in RULES} == set(registry.MISCONCEPTIONS)
    for rule in RULES:
        assert rule.code[1] == str(rule.misconception)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.slug)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_lives_in_a_module_named_after_its_code(rule):
    module = Path(inspect.getfile(type(rule)))
    assert module.parent == RULES_DIR
    assert module.name.startswith(rule.code.lower() + "_")
    assert by_code(rule.code) is rule
    assert by_code(rule.code.lower()) is rule


def test_every_rule_module_is_registered():
    modules = {p.stem.split("_")[0] for p in RULES_DIR.glob("m[1-5][0-9][0-9]_*.py")}
    assert modules == {rule.code.lower() for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_docstring_has_the_four_headings_in_order(rule):
    doc = inspect.getdoc(rule) or ""
    lines = doc.splitlines()
    positions = [lines.index(f"## {heading}") for heading in HEADINGS]
    assert positions == sorted(positions)
    evidence = doc.split("## Evidence", 1)[1]
    assert re.search(r"Grade [ABC]", evidence), "cite sources with their grades"
    # Never the fabricated statistic (grade X in the evidence notes).
    assert "National Sales Executive" not in doc and "80%" not in doc


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
@pytest.mark.parametrize("language", LANGUAGES)
def test_rule_has_name_summary_and_tip_in_every_language(rule, language):
    assert has(language, rule.name)
    assert has(language, rule.summary)
    assert has(language, f"rule.{rule.code}.tip")
    assert has(language, f"misconception.m{rule.misconception}")


def test_rules_declare_only_real_settings_and_every_threshold_is_used():
    names = {spec.name for spec in dataclasses.fields(CoachSettings)}
    used = {name for rule in RULES for name in rule.uses}
    assert used <= names
    assert names - used == set(), "a setting no rule reads"


def test_summary_params_fill_the_summary():
    for rule in RULES:
        for language in LANGUAGES:
            text = catalog(language)[rule.summary]
            fields = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            assert fields == set(rule.summary_params(CoachSettings())), (rule.code, language)


def test_widely_cited_figure_is_not_attributed_to_hubspot():
    for language in LANGUAGES:
        for key, text in catalog(language).items():
            if "1.3" in text or "{widely_cited}" in text:
                assert "HubSpot" not in text, key


def test_rules_documentation_lists_every_rule_and_setting():
    text = rules_markdown()
    for rule in RULES:
        assert f"### {rule.code} `{rule.slug}`" in text
    for spec in dataclasses.fields(CoachSettings):
        assert f"| `{spec.name}` |" in text
    assert "#### What it checks" in text
