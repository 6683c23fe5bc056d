"""factory_boy factories for rows that have no service of their own yet."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import Partner, User
from antifraud.models import Scheme, Signal, Subject, SubjectIdentifier
from reviews.models import Case


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"partner{n}")
    name = factory.LazyAttribute(lambda o: f"{o.slug.title()}.kz")
    kind = Partner.Kind.CLASSIFIEDS
    categories = factory.LazyFunction(lambda: ["cars"])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    partner = factory.SubFactory(PartnerFactory)
    password = factory.django.Password("a-long-test-password")
    # The staff pages speak the signed-in user's language: tests read them in English unless
    # they ask for another.
    language = "en"

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subject

    partner = factory.SubFactory(PartnerFactory)
    kind = Subject.Kind.LISTING
    external_id = factory.Sequence(lambda n: f"ext{n}")
    title = factory.Sequence(lambda n: f"Toyota Camry 70, 2019 г. #{n}")
    text = "Срочно, дёшево, предоплата."
    category = "cars"
    price = 6_500_000
    city = "Алматы"


class SignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signal

    subject = factory.SubFactory(SubjectFactory)
    source = Signal.Source.USER_COMPLAINT
    scheme = Scheme.UNDERPRICED_VEHICLE
    score = 60
    explanation = "Жалоба: цена подозрительно низкая."


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    subject = factory.SubFactory(SubjectFactory)
    partner = factory.SelfAttribute("subject.partner")
    subject_kind = factory.SelfAttribute("subject.kind")
    scheme = Scheme.UNDERPRICED_VEHICLE
    risk_score = 60
    priority = 600
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=24))


class IdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubjectIdentifier

    subject = factory.SubFactory(SubjectFactory)
    kind = "phone"
    value = factory.Sequence(lambda n: f"+7701{n:07d}")
    display = factory.LazyAttribute(lambda o: o.value)


def listing_case(
    partner, *, account=None, scheme=Scheme.UNDERPRICED_VEHICLE, priority=600, phone=None, **case
):
    """An open case about a listing posted by an account, with one user complaint."""
    account = account or SubjectFactory(
        partner=partner, kind=Subject.Kind.ACCOUNT, title="Ерлан Т."
    )
    listing = SubjectFactory(partner=partner, kind=Subject.Kind.LISTING, account=account)
    if phone:
        IdentifierFactory(subject=listing, kind="phone", value=phone, display=phone)
    signal = SignalFactory(subject=listing, scheme=scheme)
    made = CaseFactory(subject=listing, scheme=scheme, priority=priority, **case)
    made.signals.add(signal)
    return made
