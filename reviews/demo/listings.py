"""Drafts of listings, honest or fraudulent, with a title, a text, a price and the market
price they should be compared with."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from reviews.demo import catalogue as cat


@dataclass(frozen=True)
class Draft:
    title: str
    text: str
    price: int | None
    market_price: int | None
    city: str
    language: str


def _city(rng: random.Random) -> tuple[str, str, float]:
    return rng.choices(cat.CITIES, weights=cat.CITY_WEIGHTS)[0]


def _district(rng: random.Random, city_ru: str) -> str:
    if city_ru == "Алматы":
        return rng.choice(cat.DISTRICTS)
    return f"мкр {rng.randint(1, 30)}"


def _fraud_text(rng: random.Random, scheme: str, language: str, fields: dict) -> str:
    texts = (cat.FRAUD_TEXTS_KK if language == "kk" else cat.FRAUD_TEXTS_RU).get(scheme)
    if not texts:
        texts = cat.FRAUD_TEXTS_RU[scheme]
    return rng.choice(texts).format(**fields)


def _discount(rng: random.Random, scheme: str | None, category_scheme: str) -> float:
    """How the asked price relates to the market: honest ads near it, bait far below."""
    if scheme == category_scheme:
        return rng.uniform(0.35, 0.6)
    if scheme in {"prepaid_delivery", "fictitious_store"}:
        return rng.uniform(0.45, 0.75)
    if scheme == "fake_rental":
        return rng.uniform(0.6, 0.9)
    return rng.uniform(0.88, 1.12)


def _round(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def draft_listing(rng: random.Random, *, category: str, scheme: str | None, language: str) -> Draft:
    city_ru, city_kk, factor = _city(rng)
    city = city_kk if language == "kk" else city_ru
    district = _district(rng, city_ru)
    deposit = cat.fmt_price(rng.choice([20_000, 30_000, 50_000, 100_000, 150_000, 200_000]))
    fields: dict[str, Any] = {"city": city, "district": district, "deposit": deposit}

    if category == "cars":
        car = rng.choice(cat.CARS)
        market = car.price * (0.9 + 0.1 * factor)
        price = _round(market * _discount(rng, scheme, "underpriced_vehicle"), 50_000)
        fields |= {
            "model": car.model,
            "year": car.year,
            "engine": car.engine,
            "mileage": cat.fmt_price(rng.randint(20, 180) * 1000),
        }
        title = f"{car.model}, {car.year} {'ж.' if language == 'kk' else 'г.'}"
        honest = cat.HONEST_CAR_KK if language == "kk" else cat.HONEST_CAR_RU
    elif category in {"apartments", "houses"}:
        rooms = rng.randint(1, 4)
        if category == "apartments":
            area = rng.randint(28, 40) + rooms * rng.randint(12, 20)
            market = area * cat.APARTMENT_PRICE_PER_M2 * factor
            title = (
                f"{rooms} бөлмелі пәтер, {area} м²"
                if language == "kk"
                else f"{rooms}-комнатная квартира, {area} м², {district}"
            )
        else:
            area = rng.randint(90, 250)
            market = area * cat.HOUSE_PRICE_PER_M2 * factor
            title = (
                f"Үй {area} м², {rng.randint(4, 12)} сотық"
                if language == "kk"
                else f"Дом {area} м², участок {rng.randint(4, 12)} соток"
            )
        price = _round(market * _discount(rng, scheme, "underpriced_property"), 100_000)
        floors = rng.choice([5, 9, 12, 16])
        fields |= {"rooms": rooms, "area": area, "floor": rng.randint(1, floors), "floors": floors}
        honest = cat.HONEST_FLAT_KK if language == "kk" else cat.HONEST_FLAT_RU
    elif category in {"short_term_rental", "long_term_rental"}:
        rooms = rng.randint(1, 3)
        base = cat.RENTAL_NIGHT_PRICE if category == "short_term_rental" else cat.RENTAL_MONTH_PRICE
        market = base * factor * (0.7 + 0.25 * rooms)
        price = _round(market * _discount(rng, scheme, "fake_rental"), 1_000)
        fields |= {"rooms": rooms}
        if language == "kk":
            title = f"Тәулікке {rooms} бөлмелі пәтер, {district}"
        elif category == "short_term_rental":
            title = f"Квартира посуточно, {rooms}-комн., {district}"
        else:
            title = f"Сдам {rooms}-комнатную квартиру на длительный срок, {district}"
        honest = cat.HONEST_RENTAL_RU
    elif category == "auto_parts":
        part_ru, part_kk, base = rng.choice(cat.PARTS)
        market = base
        price = _round(market * _discount(rng, scheme, "prepaid_delivery"), 1_000)
        part = part_kk if language == "kk" else part_ru
        fields |= {"part": part}
        title = part
        honest = cat.HONEST_PART_RU
    elif category == "services":
        market, price = None, None
        title = rng.choice(
            [
                "Заработок на криптовалюте от 30% в месяц",
                "Инвестиции с гарантированным доходом",
                "Пассивный доход без вложений времени",
            ]
        )
        honest = ["Консультации по налогам для ИП в {city}. Опыт 10 лет."]
    else:
        if category == "electronics" or rng.random() < 0.5:
            item_ru, item_kk, base = rng.choice(cat.ELECTRONICS)
        else:
            item_ru, item_kk, base, _category = rng.choice(cat.STORE_GOODS)
        market = base
        price = _round(market * _discount(rng, scheme, "fictitious_store"), 1_000)
        item = item_kk if language == "kk" else item_ru
        fields |= {"item": item, "store": rng.choice(cat.STORE_NAMES)}
        title = item
        honest = cat.HONEST_ITEM_RU

    if scheme in cat.FRAUD_TEXTS_RU:
        text = _fraud_text(rng, scheme, language, fields)
    else:
        text = rng.choice(honest).format(**fields)
    return Draft(
        title=title[:300],
        text=text,
        price=price,
        market_price=int(market) if market else None,
        city=city_ru,
        language=language,
    )
