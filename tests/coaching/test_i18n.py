"""Every catalog file exists in every language with the same keys and the same placeholders."""

import string
import tomllib
from pathlib import Path

import pytest

from coaching import i18n

CATALOG = Path(i18n.__file__).parent / "catalog"
FILES = sorted({p.name for lang in i18n.LANGUAGES for p in (CATALOG / lang).glob("*.toml")})


def flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def load(language: str, name: str) -> dict[str, str]:
    path = CATALOG / language / name
    assert path.exists(), f"{language}/{name} is missing"
    return flatten(tomllib.loads(path.read_text(encoding="utf-8")))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_every_language_has_a_folder():
    assert FILES
    for language in i18n.LANGUAGES:
        assert (CATALOG / language).is_dir()


@pytest.mark.parametrize("name", FILES)
def test_same_keys_in_every_language(name):
    english = load("en", name)
    for language in i18n.LANGUAGES:
        assert set(load(language, name)) == set(english), (language, name)


@pytest.mark.parametrize("name", FILES)
def test_same_placeholders_per_key(name):
    english = load("en", name)
    for language in i18n.LANGUAGES:
        other = load(language, name)
        for key in english.keys() & other.keys():
            assert placeholders(other[key]) == placeholders(english[key]), (language, name, key)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalog_loads_and_every_message_formats(language):
    messages = i18n.catalog(language)
    for key, text in messages.items():
        assert isinstance(text, str) and text.strip(), key
        text.format(**{field: "x" for field in placeholders(text)})
