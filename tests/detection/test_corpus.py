"""The labelled corpus (corpus.json) through the real partner API, against every rule.

As in production: the market's comparable listings are reported first and the market
prices refreshed; the blocked accounts and list entries of `setup` are made; then the
labelled listings are reported in batches through POST /api/v1/reports/, each `group`
in one request. Each report must be accepted, and each rule must fire on exactly the items
whose `expect` names it. A table of true positives, false positives and false negatives
per rule is printed (for the notes); a rule that is missing or off fails the test by name.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Partner
from antifraud import detection
from antifraud.models import Category, DetectionRule, Indicator, Signal, Subject
from antifraud.normalize import normalize
from antifraud.services import indicator_list, market_prices_refresh, subject_status_set
from antifraud.services.keys import api_key_create
from reviews.api.serializers import ReportSubjectSerializer
from tests.api.conftest import client_for
from tests.factories import PartnerFactory, SubjectFactory

CORPUS = Path(__file__).with_name("corpus.json")
Clients = dict[str, APIClient]
Partners = dict[str, Partner]
URL = "/api/v1/reports/"
BATCH_SIZE = 40  # reports per request, as a partner's nightly export would send them
MIN_LISTINGS = 120
# The price rule needs five comparables; one more, so that one flagged by mistake leaves enough.
MARKET_PER_PAIR = 6

RULE_CODES = (
    "lists.match",
    "price.below_market",
    "text.prepayment",
    "photo.reused",
    "repeat.registration",
    "contacts.nonexistent",
    "burst.young_account",
    "burst.same_text",
)
LANGUAGES = {"ru", "kk", "en", "mixed"}
LABELS = {"scam", "honest"}
ITEM_FIELDS = {
    "id": str,
    "platform": str,
    "language": str,
    "category": str,
    "city": str,
    "title": str,
    "text": str,
    "price": int,
    "account": dict,
    "phones": list,
    "emails": list,
    "label": str,
    "expect": list,
    "note": str,
}
# The partner's own signal: a user's complaint, the same for every item, so that nothing of
# the label reaches the rules through it.
COMPLAINT_SCHEME = {
    "cars": "underpriced_vehicle",
    "auto_parts": "prepaid_delivery",
    "apartments": "underpriced_property",
    "houses": "underpriced_property",
    "short_term_rental": "fake_rental",
    "long_term_rental": "fake_rental",
}


@pytest.fixture(scope="module")
def corpus() -> dict[str, Any]:
    """The corpus; missing or unreadable fails (a skip would lose the check unnoticed)."""
    if not CORPUS.is_file():
        pytest.fail(f"the detection corpus is missing: {CORPUS}")
    try:
        return json.loads(CORPUS.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        pytest.fail(f"{CORPUS.name} is not valid JSON: {exc}")


def items_of(corpus: dict[str, Any]) -> list[dict[str, Any]]:
    return [*corpus["market"], *corpus["listings"]]


# --- the corpus itself ----------------------------------------------------------------------


def item_problems(item: dict[str, Any], platforms: dict[str, Any]) -> list[str]:
    where = item.get("id", "?")
    wrong_type = [
        f"{where}: {name} should be a {kind.__name__}, is {item.get(name)!r}"
        for name, kind in ITEM_FIELDS.items()
        if not isinstance(item.get(name), kind) or isinstance(item.get(name), bool)
    ]
    account = item.get("account") or {}
    if not isinstance(account.get("external_id"), str) or not isinstance(
        account.get("registered_days_ago"), int
    ):
        wrong_type.append(f"{where}: account needs external_id and registered_days_ago")
    if wrong_type:
        return wrong_type
    problems = []
    if item["platform"] not in platforms:
        problems.append(f"{where}: unknown platform {item['platform']}")
    elif item["category"] not in platforms[item["platform"]]["categories"]:
        problems.append(f"{where}: {item['platform']} has no category {item['category']}")
    if item["category"] not in Category.values:
        problems.append(f"{where}: unknown category {item['category']}")
    if item["language"] not in LANGUAGES:
        problems.append(f"{where}: language {item['language']}")
    if item["language"] == "mixed" and len(item.get("languages", [])) < 2:
        problems.append(f"{where}: a mixed text names its languages")
    if item["label"] not in LABELS:
        problems.append(f"{where}: label {item['label']}")
    if set(item["expect"]) - set(RULE_CODES) or len(set(item["expect"])) != len(item["expect"]):
        problems.append(f"{where}: expect {item['expect']}")
    if item["price"] < 0:
        problems.append(f"{where}: negative price")
    return problems


def test_the_corpus_is_well_formed(corpus):
    listings, market = corpus["listings"], corpus["market"]
    problems = [p for item in items_of(corpus) for p in item_problems(item, corpus["platforms"])]
    assert not problems, "\n".join(problems)
    if len(listings) < MIN_LISTINGS:
        problems.append(f"{len(listings)} labelled listings, fewer than {MIN_LISTINGS}")
    ids = Counter(
        [i["id"] for i in items_of(corpus)]
        + [b["listing"]["id"] for b in corpus["setup"]["blocked_accounts"]]
    )
    problems += [f"{i}: id used {n} times" for i, n in ids.items() if n > 1]
    accounts: dict[tuple[str, str], set[int]] = defaultdict(set)
    groups: dict[str, set[str]] = defaultdict(set)
    for item in items_of(corpus):
        account = item["account"]
        accounts[(item["platform"], account["external_id"])].add(account["registered_days_ago"])
        if item.get("group"):
            groups[item["group"]].add(item["platform"])
    for item in market:
        if item["label"] != "honest" or item["expect"] or item.get("group"):
            problems.append(f"{item['id']}: a market listing is honest, expects nothing, no group")
    problems += [
        f"account {platform}/{account} has several registration dates"
        for (platform, account), ages in accounts.items()
        if len(ages) > 1
    ]
    problems += [
        f"group {g} spans platforms {sorted(p)}: one request goes to one partner"
        for g, p in groups.items()
        if len(p) > 1
    ]
    comparables = Counter((i["category"], i["city"]) for i in market)
    for item in listings:
        pair = (item["category"], item["city"])
        if "price.below_market" in item["expect"] and comparables[pair] < MARKET_PER_PAIR:
            problems.append(
                f"{item['id']}: expects a price hit with {comparables[pair]} comparables"
            )
    for entry in corpus["setup"]["indicators"]:
        if entry["list"] not in Indicator.List.values:
            problems.append(f"indicator {entry['value']}: list {entry['list']}")
    assert not problems, "\n".join(problems)


# --- through the API ------------------------------------------------------------------------


@dataclass
class Run:
    """What the corpus did once posted: each item's answer and the rules that fired on it."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    fired: dict[str, set[str]] = field(default_factory=dict)
    other_rules: Counter[str] = field(default_factory=Counter)


def api_language(item: dict[str, Any]) -> str:
    return item["languages"][0] if item["language"] == "mixed" else item["language"]


def report_of(item: dict[str, Any], *, now: datetime, market: bool) -> dict[str, Any]:
    account = item["account"]
    subject = {
        "kind": "listing",
        "external_id": item["id"],
        "title": item["title"],
        "text": item["text"],
        "category": item["category"],
        "price": item["price"],
        "city": item["city"],
        "language": api_language(item),
    }
    # Make, model and rooms narrow the comparables once the API takes them.
    if item.get("attributes") and "attributes" in ReportSubjectSerializer().fields:
        subject["attributes"] = item["attributes"]
    return {
        "report_id": f"corpus-{item['id']}",
        "subject": subject,
        "account": {
            "external_id": account["external_id"],
            "registered_at": (now - timedelta(days=account["registered_days_ago"])).isoformat(),
        },
        "contacts": {
            "phones": item.get("phones", []),
            "emails": item.get("emails", []),
            "cards": item.get("cards", []),
            "devices": item.get("devices", []),
        },
        "photos": [{"pdq": pdq} for pdq in item.get("photos", [])],
        "signal": {
            "scheme": COMPLAINT_SCHEME.get(item["category"], "other"),
            "score": 10 if market else 40,
            "explanation": "Сравнимое объявление (корпус детекции)."
            if market
            else "Жалоба пользователя на объявление (корпус детекции).",
            "source": "user_complaint",
        },
    }


def batches(items: list[dict[str, Any]], size: int) -> Iterator[tuple[str, list[dict]]]:
    """Per platform, in corpus order, requests of up to `size` reports; a group is never
    split (a group larger than `size` goes alone)."""
    units: dict[str, list[list[dict]]] = defaultdict(list)
    grouped: dict[str, list[dict]] = {}
    for item in items:
        group = item.get("group")
        if group and group in grouped:
            grouped[group].append(item)
            continue
        unit = [item]
        if group:
            grouped[group] = unit
        units[item["platform"]].append(unit)
    for platform, platform_units in units.items():
        batch: list[dict] = []
        for unit in platform_units:
            if batch and len(batch) + len(unit) > size:
                yield platform, batch
                batch = []
            batch = [*batch, *unit]
        if batch:
            yield platform, batch


def post(
    clients: Clients, platform: str, items: list[dict], *, now: datetime, market: bool, run: Run
) -> None:
    body = {"reports": [report_of(i, now=now, market=market) for i in items]}
    response = clients[platform].post(URL, body, format="json")
    assert response.status_code == 200, (
        f"{platform}: {response.status_code} {response.content[:2000]!r}"
    )
    for item, result in zip(items, response.json()["results"], strict=True):
        run.answers[item["id"]] = result


def setup_blocked_accounts(
    corpus: dict[str, Any], partners: Partners, clients: Clients, *, now: datetime, run: Run
) -> None:
    """Each blocked account, as a moderator's block leaves it: the account blocked, its
    listing (reported through the API, so its contacts and photos are indexed as any
    report's are) removed."""
    for blocked in corpus["setup"]["blocked_accounts"]:
        partner = partners[blocked["platform"]]
        blocked_at = now - timedelta(days=blocked["blocked_days_ago"])
        SubjectFactory(
            partner=partner,
            kind=Subject.Kind.ACCOUNT,
            external_id=blocked["external_id"],
            title="",
            text="",
            category="",
            price=None,
            city="",
            registered_at=now - timedelta(days=blocked["registered_days_ago"]),
            status=Subject.Status.BLOCKED,
            status_changed_at=blocked_at,
            first_seen_at=blocked_at - timedelta(days=1),
        )
        listing = {
            **blocked["listing"],
            "platform": blocked["platform"],
            "account": {
                "external_id": blocked["external_id"],
                "registered_days_ago": blocked["registered_days_ago"],
            },
            **{k: blocked.get(k, []) for k in ("phones", "emails", "cards", "devices", "photos")},
        }
        post(clients, blocked["platform"], [listing], now=now, market=True, run=run)
        subject_status_set(
            subject=Subject.objects.get(
                partner=partner, kind=Subject.Kind.LISTING, external_id=listing["id"]
            ),
            status=Subject.Status.REMOVED,
            now=blocked_at,
        )


def setup_indicators(corpus: dict[str, Any], partners: Partners, *, now: datetime) -> None:
    for entry in corpus["setup"]["indicators"]:
        value = normalize(entry["kind"], entry["value"])
        listed_at = now - timedelta(days=entry["listed_days_ago"])
        gray = entry["list"] == Indicator.List.GRAY
        indicator_list(
            actor=None,
            kind=value.kind,
            value=value.value,
            display=value.display,
            list=entry["list"],
            origin=Indicator.Origin.PARTNER_PROPOSAL if gray else Indicator.Origin.DECISION,
            origin_ref="" if gray else "decision:corpus",
            scheme=entry.get("scheme", ""),
            reason=entry.get("reason", ""),
            partner=partners[entry["partner"]] if entry.get("partner") else None,
            expires_at=now + timedelta(days=entry["expires_in_days"]) if gray else None,
            now=listed_at,
        )


# Where the rules and a careful reader disagree today, each with the reason: the test fails
# on any other disagreement, and when one of these is fixed (so the file stays true).
KNOWN_MISSES: dict[str, dict[str, dict[str, str]]] = json.loads(
    (Path(__file__).parent / "known_misses.json").read_text(encoding="utf-8")
)


def rules_fired(corpus: dict[str, Any], run: Run) -> None:
    """The rule codes stored on each item's listing and on the account that posted it."""
    by_subject: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for slug, kind, external_id, rule in Signal.objects.filter(rule__gt="").values_list(
        "subject__partner__slug", "subject__kind", "subject__external_id", "rule"
    ):
        by_subject[(slug, kind, external_id)].add(rule)
    for item in items_of(corpus):
        codes = (
            by_subject[(item["platform"], Subject.Kind.LISTING, item["id"])]
            | by_subject[(item["platform"], Subject.Kind.ACCOUNT, item["account"]["external_id"])]
        )
        run.fired[item["id"]] = {c for c in codes if c in RULE_CODES}
        run.other_rules.update(c for c in codes if c not in RULE_CODES)


def rule_states() -> dict[str, str]:
    """Each rule's state: live, shadow, off, or missing (not written yet)."""
    modes = dict(DetectionRule.objects.values_list("code", "mode"))
    states = {}
    for code in RULE_CODES:
        rule = detection.rule_named(code)
        states[code] = "missing" if rule is None else modes.get(code, rule.default_mode)
    return states


def table(corpus: dict[str, Any], run: Run, states: dict[str, str]) -> tuple[str, list[str]]:
    """The printed table, and per rule the items it got wrong."""
    items = {i["id"]: i for i in items_of(corpus)}
    lines = [
        f"{'rule':<22} {'state':<8} {'expected':>8} {'fired':>6} {'TP':>4} {'FP':>4} {'FN':>4}"
    ]
    diffs = []
    for code in RULE_CODES:
        expected = {i for i, item in items.items() if code in item["expect"]}
        fired = {i for i, codes in run.fired.items() if code in codes}
        tp, fp, fn = expected & fired, fired - expected, expected - fired
        lines.append(
            f"{code:<22} {states[code]:<8} {len(expected):>8} {len(fired):>6} "
            f"{len(tp):>4} {len(fp):>4} {len(fn):>4}"
        )
        known = KNOWN_MISSES.get(code, {})
        known_fp = set(known.get("false_positives", {}))
        known_fn = set(known.get("false_negatives", {}))
        if fp != known_fp or fn != known_fn:
            diff = [f"{code} ({states[code]}): fired on {len(fired)}, expected on {len(expected)}"]
            for kind, wrong in (
                ("false positive", fp - known_fp),
                ("false negative", fn - known_fn),
            ):
                for i in sorted(wrong):
                    item = items[i]
                    diff.append(
                        f"  new {kind}: {i} [{item['label']}, {item['language']}] "
                        f"{item['title']!r} — {item['note']}"
                    )
            for kind, gone in (
                ("false positive", known_fp - fp),
                ("false negative", known_fn - fn),
            ):
                for i in sorted(gone):
                    diff.append(f"  known {kind} no longer seen (update known_misses.json): {i}")
            diffs.append("\n".join(diff))
    scams = [i for i in corpus["listings"] if i["label"] == "scam"]
    honest = [i for i in corpus["listings"] if i["label"] == "honest"]
    lines.append(
        f"scam listings with a rule hit: {sum(bool(run.fired.get(i['id'])) for i in scams)}"
        f"/{len(scams)}; honest listings without any: "
        f"{sum(not run.fired.get(i['id']) for i in honest)}/{len(honest)}"
    )
    if run.other_rules:
        lines.append(f"other rule codes seen: {dict(run.other_rules)}")
    return "\n".join(lines), diffs


@pytest.mark.django_db
def test_the_rules_fire_as_the_corpus_expects(corpus, capsys):
    now = timezone.now()
    partners: Partners = {
        slug: PartnerFactory(slug=slug, name=spec["name"], categories=spec["categories"])
        for slug, spec in corpus["platforms"].items()
    }
    clients = {
        slug: client_for(api_key_create(actor=None, partner=partner, name="corpus")[1])
        for slug, partner in partners.items()
    }
    run = Run()

    for platform, batch in batches(corpus["market"], BATCH_SIZE):
        post(clients, platform, batch, now=now, market=True, run=run)
    market_prices_refresh()
    setup_blocked_accounts(corpus, partners, clients, now=now, run=run)
    setup_indicators(corpus, partners, now=now)
    for platform, batch in batches(corpus["listings"], BATCH_SIZE):
        post(clients, platform, batch, now=now, market=False, run=run)
    rules_fired(corpus, run)

    states = rule_states()
    printed, diffs = table(corpus, run, states)
    with capsys.disabled():
        print(f"\n{printed}")

    problems = []
    refused = {i: a for i, a in run.answers.items() if a.get("status") != "accepted"}
    if refused:
        problems.append(
            f"{len(refused)} reports were not accepted:\n"
            + "\n".join(
                f"  {i}: {json.dumps(a.get('errors'), ensure_ascii=False)}"
                for i, a in refused.items()
            )
        )
    missing = [c for c, state in states.items() if state == "missing"]
    if missing:
        problems.append(f"rules not written yet (no such code in antifraud.detection): {missing}")
    off = [c for c, state in states.items() if state == DetectionRule.Mode.OFF]
    if off:
        problems.append(f"rules switched off: {off}")
    problems += diffs
    if problems:
        pytest.fail(f"{printed}\n\n" + "\n\n".join(problems), pytrace=False)
