"""The detection rules page: every rule with its mode, version and thresholds, and how the
cases it raised were decided over a period; administrators change a rule's mode and
thresholds there.

How cases were decided is the reviews app's knowledge, which this app may not import: the
URLconf hands both views a `figures` function (reviews.rule_stats.rule_performance).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import StaffRequest
from antifraud import access, detection
from antifraud.access import staff_page
from antifraud.detection.base import Rule, RuleSetting, settings_of
from antifraud.errors import DomainError, raise_for_page
from antifraud.models import DetectionRule
from antifraud.services import detection_rule_configure
from antifraud.services.detection import threshold_shown

PERIOD_DAYS = 90
# The days a period may name: far beyond them a day's bounds overflow a datetime.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


class Figures(Protocol):
    """One rule's figures (reviews.rule_stats.RuleFigures); the template reads the rest."""

    @property
    def code(self) -> str: ...


# figures(since=, until=, user=) -> the figures of each rule code with cases in [since, until)
FiguresOf = Callable[..., Sequence[Figures]]


# --- forms ------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """The days whose cases are counted, both included; the last 90 days unless chosen."""

    since = forms.DateField(
        label=gettext_lazy("Cases opened from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=gettext_lazy("to"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    @classmethod
    def from_query(cls, query: QueryDict | Mapping[str, Any]) -> PeriodForm:
        today = timezone.localdate()
        defaults = {"since": today - timedelta(days=PERIOD_DAYS), "until": today}
        return cls({key: query.get(key) or defaults[key].isoformat() for key in defaults})

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
        if since and until and not self.errors and since > until:
            self.add_error("until", _("The period ends before it starts."))
        return data

    def bounds(self) -> tuple[datetime, datetime] | None:
        """[since, until) as times: from the first day's start to the day after the last."""
        if not self.is_valid():
            return None
        since, until = self.cleaned_data["since"], self.cleaned_data["until"]
        start = timezone.make_aware(datetime.combine(since, time.min))
        end = timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))
        return start, end

    def as_query(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {key: self.cleaned_data[key].isoformat() for key in ("since", "until")}


class RuleSettingForm(forms.Form):
    """A rule's mode and one number per threshold, as the service takes them. The service
    decides what is allowed; the form only reads numbers."""

    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=DetectionRule.Mode.choices)

    def __init__(self, *args: Any, setting: RuleSetting, **kwargs: Any) -> None:
        # One form per rule on the page: the prefix keeps their ids apart.
        kwargs.setdefault("prefix", setting.rule.code)
        kwargs.setdefault("initial", {"mode": setting.mode})
        super().__init__(*args, **kwargs)
        self.setting = setting
        for key in setting.rule.defaults:
            self.fields[self.field_name(key)] = forms.FloatField(
                label=key,
                initial=setting.thresholds[key],
                widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
            )

    @staticmethod
    def field_name(key: str) -> str:
        return f"threshold-{key}"

    def thresholds(self) -> dict[str, float]:
        return {key: self.cleaned_data[self.field_name(key)] for key in self.setting.rule.defaults}


# --- the page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    setting: RuleSetting
    figures: Figures | None  # None: no case in the period (or no valid period)
    form: RuleSettingForm | None  # for administrators only

    @property
    def mode_label(self) -> str:
        return str(DetectionRule.Mode(self.setting.mode).label)

    @property
    def thresholds(self) -> list[tuple[str, str]]:
        return [(key, threshold_shown(value)) for key, value in self.setting.thresholds.items()]


def _render(
    request: StaffRequest,
    figures_of: FiguresOf,
    period: PeriodForm,
    *,
    failed: RuleSettingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page; `failed` is a rule's form that was refused, shown with its errors."""
    rules = detection.rules()
    settings = settings_of(rules)
    figures: dict[str, Figures] = {}
    bounds = period.bounds()
    if bounds is not None:
        since, until = bounds
        figures = {f.code: f for f in figures_of(since=since, until=until, user=request.user)}
    may_change = access.may_change_detection_rules(request.user)
    rows = []
    for rule in rules:
        setting = settings[rule.code]
        form = None
        if may_change:
            refused = failed is not None and failed.setting.rule.code == rule.code
            form = failed if refused else RuleSettingForm(setting=setting)
        rows.append(RuleRow(rule, setting, figures.get(rule.code), form))
    return render(
        request,
        "antifraud/rules.html",
        {"period": period, "rows": rows, "period_query": period.as_query()},
        status=status,
    )


@staff_page("antifraud.view_detectionrule")
@require_GET
def rules_page(request: StaffRequest, *, figures: FiguresOf) -> HttpResponse:
    """Every rule; a bad period is a form error, and the rules are shown without figures."""
    return _render(request, figures, PeriodForm.from_query(request.GET))


@staff_page("antifraud.view_detectionrule", "antifraud.change_detectionrule")
@require_POST
def detection_rule_change(request: StaffRequest, code: str, *, figures: FiguresOf) -> HttpResponse:
    """A rule's mode and thresholds, through the service: a refusal is shown on the rule's
    form (422), a change as a message on the page the form came from."""
    if not access.may_change_detection_rules(request.user):
        raise PermissionDenied
    # The form carries the period the page showed, so that the page comes back as it was.
    period = PeriodForm.from_query(request.POST)
    if not period.is_valid():
        period = PeriodForm.from_query({})
    rule = detection.rule_named(code)
    if rule is None:
        raise Http404(_("No such detection rule."))
    setting = settings_of([rule])[rule.code]
    form = RuleSettingForm(request.POST, setting=setting)
    if not form.is_valid():
        return _render(request, figures, period, failed=form, status=422)
    try:
        row = detection_rule_configure(
            actor=request.user,
            code=rule.code,
            mode=form.cleaned_data["mode"],
            thresholds=form.thresholds(),
        )
    except DomainError as error:
        raise_for_page(error)
        form.add_error(None, error.message)
        return _render(request, figures, period, failed=form, status=422)
    if row.version == setting.version:
        messages.info(request, _("%(code)s: nothing changed.") % {"code": rule.code})
    else:
        messages.success(
            request,
            _("%(code)s is now %(mode)s, version %(version)s.")
            % {"code": rule.code, "mode": row.get_mode_display(), "version": row.version},
        )
    url = reverse("detection-rules") + "?" + urlencode(period.as_query())
    return redirect(f"{url}#rule-{rule.code}")
