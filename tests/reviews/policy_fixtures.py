"""What the policy-version tests share: the hub's two administrators and the words of a
second version of `fake-photos`."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from accounts.roles import Role
from reviews.services.policies import PolicyFields
from tests.factories import UserFactory

V2: PolicyFields = {
    "title_en": "Photos taken from someone else's listing",
    "title_ru": "Фотографии из чужого объявления",
    "title_kk": "Басқаның хабарландыруынан алынған суреттер",
    "text_en": "Version two: a listing shows only photos its author took or may use.",
    "text_ru": "Вторая редакция: в объявлении только фотографии, снятые автором.",
    "text_kk": "Екінші редакция: хабарландыруда тек автор түсірген суреттер болады.",
}


def staff(username: str | None = None, **fields: Any) -> User:
    if username is not None:
        fields["username"] = username
    user = UserFactory(**fields)
    assert isinstance(user, User)
    return user


@pytest.fixture
def admin_a(db) -> User:
    return staff("hub.admin.a", partner=None, role=Role.ADMIN, is_staff=True)


@pytest.fixture
def admin_b(db) -> User:
    return staff("hub.admin.b", partner=None, role=Role.ADMIN, is_staff=True)
