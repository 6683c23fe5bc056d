"""The policy catalogue in Kazakh: every current policy has its title, public text and
statement template in Kazakh, with the same placeholders as the English and Russian; and the
migration that corrects 0007's Kazakh (0015) replaces only 0007's own text."""

from __future__ import annotations

import importlib
import string

import pytest
from django.apps import apps as django_apps

from reviews.models import Policy
from reviews.services.decisions import statement_prefill
from tests import factories

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ru", "kk")
FIELDS = ("title", "text", "statement")

CATALOGUE = importlib.import_module("reviews.migrations.0003_policy_catalogue")
FILL = importlib.import_module("reviews.migrations.0015_policy_catalogue_kazakh")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _mostly_cyrillic(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    cyrillic = [ch for ch in letters if "\u0400" <= ch <= "\u04ff"]
    return bool(letters) and len(cyrillic) >= 0.8 * len(letters)


def _current() -> list[Policy]:
    policies = list(Policy.objects.filter(is_current=True))
    assert {p.code for p in policies} >= {entry["code"] for entry in CATALOGUE.POLICIES}
    return policies


def test_every_current_policy_is_written_in_all_three_languages():
    for policy in _current():
        for field in FIELDS:
            for language in LANGUAGES:
                value = getattr(policy, f"{field}_{language}")
                assert value.strip(), f"{policy} {field}_{language}"


def test_kazakh_statement_has_the_english_and_russian_placeholders():
    for policy in _current():
        kazakh = _placeholders(policy.statement_kk)
        assert kazakh == _placeholders(policy.statement_en), policy.code
        assert kazakh == _placeholders(policy.statement_ru), policy.code
        assert kazakh == {"title", "partner"}, policy.code


def test_kazakh_is_cyrillic_and_not_the_russian():
    for policy in _current():
        for field in FIELDS:
            kazakh = getattr(policy, f"{field}_kk")
            assert _mostly_cyrillic(kazakh), f"{policy} {field}_kk"
            assert kazakh != getattr(policy, f"{field}_ru"), f"{policy} {field}_kk"


def test_localized_title_in_kazakh_is_the_kazakh_title():
    for policy in _current():
        assert policy.localized("title", "kk") == policy.title_kk
        assert policy.localized("statement", "kk") == policy.statement_kk
    rental = Policy.objects.get(code="fake-rental", is_current=True)
    assert rental.localized("title", "kk") == "Жалған тәуліктік жалға беру"


def test_statement_prefill_in_kazakh_names_the_subject_and_the_platform(kolesa):
    subject = factories.SubjectFactory(partner=kolesa, title="Toyota Camry 70, 2019")
    for policy in _current():
        statement = statement_prefill(policy, subject, "kk")
        assert statement.startswith(policy.statement_kk[:3]), policy.code
        assert "«Toyota Camry 70, 2019»" in statement, policy.code
        assert "Kolesa.kz" in statement, policy.code
        assert "{" not in statement and "}" not in statement, policy.code


# The migration's own texts. (On a fresh database 0007 has already written version 1, so
# these reach a database through a version published later, or one whose Kazakh was cleared.)


def test_the_migration_translates_every_policy_0003_seeded():
    assert set(FILL.KAZAKH) == {entry["code"] for entry in CATALOGUE.POLICIES}
    title_length = Policy._meta.get_field("title_kk").max_length
    for entry in CATALOGUE.POLICIES:
        code = entry["code"]
        title, text, statement = FILL.KAZAKH[code]
        assert 0 < len(title) <= title_length, code
        for field, kazakh in zip(FIELDS, (title, text, statement), strict=True):
            assert _mostly_cyrillic(kazakh), f"{code} {field}"
            assert kazakh != entry[f"{field}_ru"], f"{code} {field}"
            assert kazakh == " ".join(kazakh.split()), f"{code} {field}: stray whitespace"
        assert _placeholders(statement) == _placeholders(entry["statement_en"]), code
        assert _placeholders(statement) == _placeholders(entry["statement_ru"]), code
        # The code in parentheses, and «» around the title, where the Russian has them.
        assert (f"({code})" in statement) == (f"({code})" in entry["statement_ru"]), code
        assert ("«{title}»" in statement) == ("«{title}»" in entry["statement_ru"]), code
        filled = statement.format(title="Toyota Camry 70", partner="Kolesa.kz")
        assert "«Toyota Camry 70»" in filled and "Kolesa.kz" in filled, code


def test_the_catalogue_holds_the_corrected_kazakh():
    for code, texts in FILL.KAZAKH.items():
        policy = Policy.objects.get(code=code, version=1)
        assert (policy.title_kk, policy.text_kk, policy.statement_kk) == texts, code


def test_the_correction_replaces_only_0007s_text_and_goes_back():
    earlier = importlib.import_module("reviews.migrations.0007_policy_catalogue_kazakh").KAZAKH
    edited = "Модератор өзі жазған мәтін «{title}» бойынша"
    Policy.objects.filter(code="false-call", version=1).update(statement_kk=edited)

    FILL.restore(django_apps, None)
    call = Policy.objects.get(code="false-call", version=1)
    assert (call.title_kk, call.text_kk) == earlier["false-call"][:2]
    assert call.statement_kk == edited, "an edited field is left as it is"
    rental = Policy.objects.get(code="fake-rental", version=1)
    assert (rental.title_kk, rental.text_kk, rental.statement_kk) == earlier["fake-rental"]

    FILL.correct(django_apps, None)
    call.refresh_from_db()
    assert (call.title_kk, call.text_kk) == FILL.KAZAKH["false-call"][:2]
    assert call.statement_kk == edited
