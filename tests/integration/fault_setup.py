"""Run as a program against a database of a fault test's own (DATABASE_URL): three partners
whose webhooks go to the stubs named on the command line, moderators with signed-in
sessions, and cases each held by one of them. Prints what the test needs, as JSON.

    python -m tests.integration.fault_setup '{"stubs": {...}, "moderators": 4, "cases": 120}'
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antifraud.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.roles import Role
    from antifraud.services.partners import partner_webhook_secret_rotate
    from reviews import services
    from reviews.models import Policy
    from tests.factories import PartnerFactory, UserFactory, listing_case

    config = json.loads(argv[0])
    partners = {}
    for slug, stub in config["stubs"].items():
        partner = PartnerFactory(slug=slug, name=f"{slug.title()}.kz", webhook_url=stub["url"])
        partner_webhook_secret_rotate(actor=None, partner_id=partner.pk, secret=stub["secret"])
        partners[slug] = partner
    home = partners["kolesa"]
    moderators = []
    for n in range(config["moderators"]):
        user = UserFactory(username=f"kolesa.mod{n}", partner=home, role=Role.MODERATOR)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        moderators.append({"username": user.username, "session": session.session_key, "cases": []})
    for n in range(config["cases"]):
        moderator = moderators[n % len(moderators)]
        case = listing_case(home)
        user = UserFactory._meta.model.objects.get(username=moderator["username"])
        services.case_claim(actor=user, case_id=case.pk)
        moderator["cases"].append(case.pk)
    policy = Policy.objects.get(code="fake-photos", is_current=True)
    json.dump(
        {"moderators": moderators, "policy": policy.pk, "cookie": settings.SESSION_COOKIE_NAME},
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
