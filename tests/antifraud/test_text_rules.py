"""The text and behaviour families (antifraud/detection/text.py and bursts.py): prepayment
language in Russian, Kazakh and English, however spelled, without honest texts; new
accounts posting in bulk; one text from several accounts. Run the way intake runs them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from antifraud import detection
from antifraud.detection import bursts, text
from antifraud.detection.base import Batch, Explanation
from antifraud.detection.bursts import (
    similarity,
    text_print,
    text_prints_update,
)
from antifraud.models import DetectionRule, Signal, Subject, TextPrint
from tests.factories import PartnerFactory, SubjectFactory

NOW = timezone.now()
CARD = "4400 4301 2345 6789"  # Luhn-valid


def rule_named(code: str):
    return next(rule for family in (text, bursts) for rule in family.RULES if rule.code == code)


def rule_signals(subject: Subject, code: str) -> list[Signal]:
    return list(Signal.objects.filter(subject=subject, rule=code))


# --- text.prepayment: what is read -----------------------------------------------------------

STRONG = [
    ("Продаю iPhone 13, предоплата 50%, отправлю Казпочтой", "electronics", "предоплата"),
    ("Нужна ПРЕДОПЛАТУ внести до отправки", "electronics", "ПРЕДОПЛАТУ"),
    ("пpeдоплата обязательна", "electronics", "пpeдоплата"),  # Latin p, e
    ("п р е д о п л а т а 100%", "electronics", "п р е д о п л а т а"),
    ("пред.оплата на карту", "electronics", "пред.оплата"),
    ("predoplata 100%", "electronics", "predoplata"),
    ("Оплата вперёд, отправка в день оплаты", "clothing", "Оплата вперёд"),
    ("Для брони переведите 5000 на карту", "short_term_rental", "переведите 5000 на карту"),
    ("Скиньте задаток на Kaspi Gold", "cars", "задаток"),
    ("Задаток 50 000, остальное при получении", "cars", "Задаток"),
    ("Предоплата 50% не возвращается", "short_term_rental", "Предоплата"),
    ("Алдын ала төлем жасаңыз", "electronics", "Алдын ала төлем"),
    ("Брондау үшін алдын ала төлеміңізді жіберіңіз", "short_term_rental", "алдын ала төлеміңізді"),
    ("Ақшаны картаға аударыңыз", "electronics", "Ақшаны картаға аударыңыз"),
    ("Prepayment required before shipping", "electronics", "Prepayment"),
    ("Advance payment only", "electronics", "Advance payment"),
    ("Please send the money to my card", "electronics", "send the money to my card"),
]

WEAK = [
    ("Сдаю квартиру посуточно. Залог 10000 тг.", "short_term_rental", "Залог"),
    ("Бронирование по телефону", "short_term_rental", "Бронирование"),
    ("Отправлю по Казахстану, оплата доставки за счёт покупателя", "clothing", "оплата доставки"),
    ("Security deposit required", "long_term_rental", "deposit"),
    ("Delivery fee 2000 tg", "clothing", "Delivery fee"),
    ("Жеткізу ақысы 1500 теңге", "clothing", "Жеткізу ақысы"),
]

HONEST = [
    ("Доставка по городу бесплатно. Звоните!", "electronics"),
    ("Бесплатная доставка по Алматы", "electronics"),
    ("Без предоплаты, только при встрече", "electronics"),
    ("Работаю без предоплат", "services"),
    ("Предоплата не нужна, оплата при получении", "electronics"),
    ("Никаких предоплат!", "electronics"),
    ("Предоплату не беру", "electronics"),
    ("Сдаю 2-комнатную квартиру на длительный срок, залог после просмотра", "long_term_rental"),
    ("Залог при заселении", "short_term_rental"),
    ("Оплата доставки при получении", "clothing"),
    ("Алдын ала төлемсіз, кездескенде төлейсіз", "electronics"),
    ("Алдын ала төлем жоқ", "electronics"),
    ("Алдын ала төлем талап етілмейді", "electronics"),
    ("Жеткізу ақысыз", "clothing"),
    ("No prepayment, pay on delivery", "electronics"),
    ("Prepayment not required", "electronics"),
    ("Deposit after viewing", "long_term_rental"),
    ("Машина не в залоге, бронированные стёкла, бронь на фарах", "cars"),
    ("Машина в залоге у банка", "cars"),
    ("Оплата: наличные, Kaspi перевод, Kaspi QR. Тел +7 701 234 56 78", "electronics"),
    ("Квартира с видом на Каспий, звоните 8 701 234 56 78", "short_term_rental"),
    ("Toyota Camry 70, 2019 г. Один хозяин, торг уместен.", "cars"),
    ("", "cars"),
]


@pytest.mark.parametrize(("written", "category", "quote"), STRONG)
def test_asking_for_payment_ahead_is_read_as_written(written, category, quote):
    evidence = text.read(written, category=category)
    assert quote in [found.quote for found in evidence.strong]


@pytest.mark.parametrize(("written", "category", "quote"), WEAK)
def test_deposit_booking_and_delivery_payment_are_weak(written, category, quote):
    evidence = text.read(written, category=category)
    assert not evidence.strong
    assert [found.quote for found in evidence.weak] == [quote]


@pytest.mark.parametrize(("written", "category"), HONEST)
def test_honest_texts_are_not_read_as_asking(written, category):
    evidence = text.read(written, category=category)
    assert not evidence.strong and not evidence.weak
    assert all(h.kind == "phone" for h in evidence.handles)


@given(st.text(), st.sampled_from(["", "cars", "short_term_rental", "electronics"]))
def test_any_text_is_read_without_failing(written, category):
    evidence = text.read(written, category=category)
    for found in evidence.strong + evidence.weak:
        assert found.quote


def test_payment_handles_in_the_text():
    [card] = text.read(f"Карта {CARD}").handles
    assert card.kind == "card" and card.shown == "•••• 6789"
    assert "4400430123456789" not in card.value
    assert text.read("Карта 4400 4301 2345 6781").handles == []  # fails Luhn
    assert text.read("Тел 8 701 234 56 78, ИИН 900101300123").handles == []
    [iban] = text.read("Счёт KZ86 125K ZT50 0410 0100 Тел").handles
    assert iban.kind == "iban" and iban.value == "KZ86125KZT5004100100"
    [kaspi] = text.read("Kaspi: +7 (701) 234-56-78").handles
    assert kaspi.kind == "phone" and kaspi.value == "+77012345678"
    # A phone far from "Kaspi" is only a contact.
    far = "Kaspi Gold принимаем. " + "Торг у капота, обмен не интересует. " * 3 + "87012345678"
    assert text.read(far).handles == []


# --- text.prepayment: hits and signals ------------------------------------------------------


def hits(*subjects: Subject, code: str = "text.prepayment", **thresholds):
    rule = rule_named(code)
    return list(rule.detect(Batch(subjects, NOW), {**rule.defaults, **thresholds}))


@pytest.mark.django_db
def test_scores_and_schemes(kolesa):
    plain = SubjectFactory(partner=kolesa, category="electronics", text="Предоплата 100%")
    more = SubjectFactory(
        partner=kolesa,
        category="short_term_rental",
        text=f"Для брони предоплата, переведите на карту {CARD}",
    )
    weak = SubjectFactory(partner=kolesa, category="clothing", text="Оплата доставки отдельно")
    card_only = SubjectFactory(partner=kolesa, category="electronics", text=f"Карта {CARD}")
    honest = SubjectFactory(partner=kolesa, category="electronics", text="Без предоплаты")
    found = {hit.subject.pk: hit for hit in hits(plain, more, weak, card_only, honest)}
    assert set(found) == {plain.pk, more.pk, weak.pk, card_only.pk}
    assert found[plain.pk].score == 55 and found[plain.pk].scheme == "prepaid_delivery"
    # Three phrases (two extra) and a card: 55 + 2 × 10 + 15.
    assert found[more.pk].score == 90 and found[more.pk].scheme == "fake_rental"
    assert found[weak.pk].score == 35
    assert found[card_only.pk].score == 45
    assert found[more.pk].explanation.render() == (
        "The text asks for payment in advance: «брони», «предоплата», «переведите на карту», "
        "and gives where to pay: Card •••• 6789."
    )
    assert (
        found[card_only.pk].explanation.render() == "The text gives where to pay: Card •••• 6789."
    )
    assert CARD.replace(" ", "") not in str(found[more.pk].details)


@pytest.mark.django_db
def test_the_title_is_read_too(kolesa):
    listing = SubjectFactory(partner=kolesa, title="Айфон, предоплата", text="Новый, в коробке")
    [hit] = hits(listing)
    assert hit.explanation.params["words"] == "предоплата"


@pytest.mark.django_db
def test_signals_are_stored_once_and_explained_in_the_readers_language(kolesa):
    listing = SubjectFactory(partner=kolesa, category="electronics", text="Только предоплата")
    detection.run_batch([listing], now=NOW)
    detection.run_batch([listing], now=NOW)
    [signal] = rule_signals(listing, "text.prepayment")
    assert signal.rule_version == 1 and not signal.shadow
    assert signal.explanation == "The text asks for payment in advance: «предоплата»."
    explanation = Explanation.from_json(signal.details["explain"])
    assert explanation is not None and explanation.params == {"words": "предоплата"}
    # The text changed: new evidence, a new signal.
    listing.text = "Только предоплата на карту, переведите на карту"
    listing.save()
    detection.run_batch([listing], now=NOW)
    assert len(rule_signals(listing, "text.prepayment")) == 2


@pytest.mark.django_db
def test_the_text_rule_makes_no_queries(kolesa, django_assert_num_queries):
    listings = [SubjectFactory(partner=kolesa, text=f"Предоплата {n}") for n in range(20)]
    batch = Batch(listings, NOW)
    rule = rule_named("text.prepayment")
    with django_assert_num_queries(0):
        assert len(list(rule.detect(batch, rule.defaults))) == 20


# --- burst.young_account --------------------------------------------------------------------


def account(partner, *, registered_days_ago: float | None, first_seen_days_ago: float = 0):
    return SubjectFactory(
        partner=partner,
        kind=Subject.Kind.ACCOUNT,
        category="",
        text="",
        registered_at=None
        if registered_days_ago is None
        else NOW - timedelta(days=registered_days_ago),
        first_seen_at=NOW - timedelta(days=first_seen_days_ago),
    )


def listings_of(owner, n: int, *, hours_ago: float = 1, category: str = "cars"):
    return [
        SubjectFactory(
            partner=owner.partner,
            account=owner,
            category=category,
            text="",
            first_seen_at=NOW - timedelta(hours=hours_ago),
        )
        for _ in range(n)
    ]


@pytest.mark.django_db
def test_a_new_account_posting_in_bulk_is_flagged_on_each_listing(kolesa):
    new = account(kolesa, registered_days_ago=2)
    posted = listings_of(new, 6, category="electronics")
    detection.run_batch([*posted[:3], new], now=NOW)
    for subject in [*posted[:3], new]:
        [signal] = rule_signals(subject, "burst.young_account")
        assert signal.details["listings"] == 6
    [signal] = rule_signals(posted[0], "burst.young_account")
    assert signal.scheme == "fictitious_store" and signal.score == 48  # 45 + 3 × one extra
    since = f"{timezone.localtime(new.registered_at):%Y-%m-%d}"
    assert signal.explanation == (
        f"The account was registered on {since} and put up 6 listings in the last 24 hours."
    )
    assert not rule_signals(posted[3], "burst.young_account")  # not in the batch
    detection.run_batch(posted[:3], now=NOW)
    assert len(rule_signals(posted[0], "burst.young_account")) == 1


@pytest.mark.django_db
def test_old_accounts_slow_accounts_and_old_listings_are_not_bursts(kolesa):
    old = account(kolesa, registered_days_ago=30)
    few = account(kolesa, registered_days_ago=1)
    slow = account(kolesa, registered_days_ago=1)
    batch = [
        *listings_of(old, 8),
        *listings_of(few, 4),
        *listings_of(slow, 3),
        *listings_of(slow, 3, hours_ago=30),
    ]
    assert hits(*batch, code="burst.young_account") == []


@pytest.mark.django_db
def test_without_a_registration_date_the_first_sighting_counts(kolesa):
    unknown = account(kolesa, registered_days_ago=None, first_seen_days_ago=1)
    seen_long_ago = account(kolesa, registered_days_ago=None, first_seen_days_ago=60)
    posted = listings_of(unknown, 5)
    found = hits(*posted, *listings_of(seen_long_ago, 5), code="burst.young_account")
    assert {hit.subject.pk for hit in found} == {s.pk for s in posted}
    assert found[0].scheme == "repeat_offender"
    assert "first seen on" in found[0].explanation.render()


@pytest.mark.django_db
def test_thresholds_come_from_the_administrators_row(kolesa):
    new = account(kolesa, registered_days_ago=2)
    posted = listings_of(new, 3)
    DetectionRule.objects.create(
        code="burst.young_account", mode="shadow", thresholds={"listings": 3}, version=2
    )
    detection.run_batch(posted, now=NOW)
    [signal] = rule_signals(posted[0], "burst.young_account")
    assert signal.shadow and signal.rule_version == 2


# --- burst.same_text ------------------------------------------------------------------------

TEMPLATE = (
    "Сдаю уютную квартиру посуточно в центре города рядом с парком. Есть всё для "
    "комфортного проживания: бельё, полотенца, wi-fi, стиральная машина. Для брони нужна "
    "предоплата на каспи {phone}, цена {price} тенге сутки."
)


def posting(partner, text_: str, *, days_ago: float = 1, owner=None):
    owner = owner or account(partner, registered_days_ago=100)
    return SubjectFactory(
        partner=partner,
        account=owner,
        category="short_term_rental",
        text=text_,
        first_seen_at=NOW - timedelta(days=days_ago),
    )


def copies(partner, n: int, **kwargs):
    return [
        posting(partner, TEMPLATE.format(phone=f"8 701 000 00 0{i}", price=10000 + i), **kwargs)
        for i in range(n)
    ]


@pytest.mark.django_db
def test_one_text_from_three_accounts_is_flagged(kolesa, krisha):
    earlier = copies(kolesa, 2)
    text_prints_update(earlier)
    # The third copy hides behind look-alike letters and other numbers.
    disguised = posting(
        krisha,
        TEMPLATE.format(phone="+7 777 123 45 67", price=9000).replace("квартиру", "квapтиpy"),
    )
    detection.run_batch([disguised], now=NOW)
    [signal] = rule_signals(disguised, "burst.same_text")
    assert signal.details["accounts"] == 3 and signal.scheme == "fake_rental"
    assert signal.score == 50
    example = signal.details["listings"][0]["subject"]
    assert example in {s.pk for s in earlier}
    assert signal.explanation == (
        f"Nearly the same text was posted by 3 accounts in 30 days, for example listing "
        f"#{example} on Kolesa.kz."
    )


@pytest.mark.django_db
def test_two_accounts_old_copies_and_short_texts_are_not_enough(kolesa):
    [one] = copies(kolesa, 1)
    owner = account(kolesa, registered_days_ago=100)
    same_owner = [posting(kolesa, one.text, owner=owner) for _ in range(3)]
    old = copies(kolesa, 3, days_ago=40)
    text_prints_update(old)
    short = [posting(kolesa, "Сдаю квартиру посуточно, звоните") for _ in range(4)]
    assert hits(one, *same_owner, *short, code="burst.same_text") == []
    assert not TextPrint.objects.filter(subject__in=short).exists()


def test_a_different_text_is_far_away():
    honest = (
        "Продаю Toyota Camry 70 2019 года, один хозяин, все ТО у официального дилера, "
        "не бита, не крашена, торг у капота."
    )
    one = text_print(TEMPLATE.format(phone="87010000000", price=1))
    assert one is not None
    assert similarity(one, text_print(TEMPLATE.format(phone="87770000001", price=2))) == 1
    assert similarity(one, text_print(honest)) < 0.3
    assert text_print("Продаю, торг") is None


def test_a_copy_with_a_few_words_changed_is_still_alike():
    base = TEMPLATE.format(phone="87010000000", price=1)
    changed = base.replace("квартира", "жильё", 1).replace("центре", "районе", 1)
    assert changed != base
    assert similarity(text_print(base), text_print(changed)) >= 0.6


@pytest.mark.django_db
def test_text_prints_are_kept_up_to_date(kolesa):
    [listing] = copies(kolesa, 1)
    first = text_prints_update([listing])[listing.pk]
    assert text_prints_update([listing])[listing.pk] == first
    assert TextPrint.objects.get(subject=listing).signature == first
    listing.text = "Совсем другой текст про автомобиль в хорошем состоянии, один хозяин, без ДТП"
    text_prints_update([listing])
    stored = TextPrint.objects.get(subject=listing)
    assert stored.signature != first
    assert [getattr(stored, f"b{n}") for n in range(8)] == bursts.bands(stored.signature)
    assert all(0 <= getattr(stored, f"b{n}") < 2**31 for n in range(8))
    listing.text = "Продаю"
    text_prints_update([listing])
    assert not TextPrint.objects.filter(subject=listing).exists()


# --- queries do not grow with the batch -----------------------------------------------------


def queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured.captured_queries)


def bulk_world(size: int):
    partner = PartnerFactory()
    subjects = []
    for _ in range(size):
        new = account(partner, registered_days_ago=1)
        subjects += listings_of(new, 5)
    return subjects + copies(partner, size)


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["burst.young_account", "burst.same_text"])
def test_each_burst_rule_queries_a_fixed_number_of_times(code):
    rule = rule_named(code)
    small, large = bulk_world(2), bulk_world(8)
    counts = [
        queries(lambda subjects=subjects: list(rule.detect(Batch(subjects, NOW), rule.defaults)))
        for subjects in (small, large)
    ]
    # Batch() loads identifiers and photos: two queries. Then the young accounts' counts:
    # one; or the prints stored, those of the short texts dropped and the near ones read:
    # three.
    assert counts[0] == counts[1] == {"burst.young_account": 3, "burst.same_text": 5}[code]


@pytest.mark.django_db
def test_a_detection_run_costs_the_same_for_a_larger_batch():
    small, large = bulk_world(2), bulk_world(8)
    assert queries(lambda: detection.run_batch(small, now=NOW)) == queries(
        lambda: detection.run_batch(large, now=NOW)
    )
    assert Signal.objects.filter(rule="burst.young_account").count() == 10 + 40
    assert Signal.objects.filter(rule="burst.same_text").exists()
    assert Signal.objects.filter(rule="text.prepayment").exists()
