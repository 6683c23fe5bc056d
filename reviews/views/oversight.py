"""The supervisors' dashboard (`/oversight/`): the figures of reviews.oversight over a
period, for one partner or all those in the viewer's scope. Moderators open it too and see
their own line only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.http import StaffRequest
from accounts.models import Partner, User
from antifraud import access
from antifraud.access import staff_page
from reviews import oversight

PERIOD_DAYS = 7
# The longest period one page counts: a year of days still makes a readable chart.
MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


class PeriodForm(forms.Form):
    """The days counted, both included (the last seven unless chosen), and the partner:
    any of those the viewer sees, or all of them for the hub's staff."""

    since = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=gettext_lazy("to"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    partner = forms.ChoiceField(label=gettext_lazy("Partner"), required=False)

    def __init__(self, *args: Any, partners: Sequence[Partner], hub: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.partners = {p.slug: p for p in partners}
        choices: list[tuple[str, str]] = [("", _("All partners"))] if hub else []
        partner_field = self.fields["partner"]
        assert isinstance(partner_field, forms.ChoiceField)
        partner_field.choices = choices + [(p.slug, p.name) for p in partners]
        partner_field.required = not hub

    @classmethod
    def from_query(
        cls, query: QueryDict | Mapping[str, Any], *, partners: Sequence[Partner], hub: bool
    ) -> PeriodForm:
        today = timezone.localdate()
        defaults = {
            "since": (today - timedelta(days=PERIOD_DAYS - 1)).isoformat(),
            "until": today.isoformat(),
            # Partner staff always look at their own partner.
            "partner": "" if hub or not partners else partners[0].slug,
        }
        return cls(
            {key: query.get(key) or default for key, default in defaults.items()},
            partners=partners,
            hub=hub,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a day from %(first)s to %(last)s.")
                    % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()},
                )
        since, until = data.get("since"), data.get("until")
        if since and until and not self.errors:
            if since > until:
                self.add_error("until", _("The period ends before it starts."))
            elif (until - since).days + 1 > MAX_DAYS:
                self.add_error("until", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        return data

    def filters(self, user: User, *, decider: User | None = None) -> oversight.Filters:
        data = self.cleaned_data
        return oversight.Filters(
            user=user,
            first_day=data["since"],
            last_day=data["until"],
            partner=self.partners.get(data["partner"]) if data["partner"] else None,
            decider=decider,
        )


@staff_page(access.may_open_oversight)
@require_GET
def oversight_page(request: StaffRequest) -> HttpResponse:
    """Supervisors and administrators see every figure of their scope; a moderator sees
    their own decisions, how fast and how often appealed and overturned — no colleague's.
    A bad period is a form error, and the page is shown without figures."""
    user = request.user
    partners = list(access.partners_in_scope(user))
    form = PeriodForm.from_query(request.GET, partners=partners, hub=access.is_hub(user))
    full = access.may_oversee(user)
    context: dict[str, Any] = {"form": form, "full": full, "buckets": oversight.AGE_BUCKETS}
    if form.is_valid():
        if full:
            context["board"] = oversight.dashboard(form.filters(user), partners)
        else:
            context["own"] = oversight.own_line(form.filters(user, decider=user))
    return render(request, "oversight/dashboard.html", context)
