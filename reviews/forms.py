"""Forms shape input for the services; the rules themselves live in the services."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGES
from antifraud.models import SubjectIdentifier
from antifraud.models.indicators import GRAY_DAYS_MAX, GRAY_DAYS_MIN
from reviews.limits import TEXT_MAX
from reviews.models import Decision, Policy
from reviews.services import DecisionRequest, IndicatorChoice
from reviews.services.cases import snooze_problem
from reviews.services.decisions import block_length_label

ESCALATE = "escalate"
ACTION_CHOICES = [
    (Decision.Action.BLOCK_ACCOUNT, _("Block account")),
    (Decision.Action.REMOVE_LISTING, _("Remove listing")),
    (Decision.Action.CLEAR, _("Clear")),
    (Decision.Action.WARN, _("Warn")),
    (ESCALATE, _("Escalate")),
]
ACTIONS = {value for value, _label in ACTION_CHOICES}
LIST_CHOICES = [("", _("—")), ("black", _("Black")), ("gray", _("Gray"))]


class DecisionForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=ACTION_CHOICES, widget=forms.RadioSelect)
    policy = forms.ModelChoiceField(
        label=_("Policy"),
        queryset=Policy.objects.filter(is_current=True).order_by("code"),
        required=False,
    )
    statement_of_reasons = forms.CharField(
        label=_("Statement of reasons (the user reads this)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    language = forms.ChoiceField(label=_("Language of the statement"), choices=LANGUAGES)
    internal_note = forms.CharField(
        label=_("Internal note (staff only; required to escalate)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    gray_days = forms.IntegerField(
        label=_("Gray-list entries expire after (days)"),
        min_value=GRAY_DAYS_MIN,
        max_value=GRAY_DAYS_MAX,
        required=False,
    )
    # One of the policy's durations (0 permanent); the service holds it to the policy.
    block_days = forms.IntegerField(label=_("Block length"), min_value=0, required=False)
    vet_identifiers = forms.BooleanField(
        label=_(
            "Clearing: I checked this subject's phones, e-mails, cards and other identifiers; "
            "put them on the cleared list"
        ),
        required=False,
    )
    ring = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    # A fresh mark each time the form is drawn; sending the same form twice records once.
    attempt = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, identifiers: list[SubjectIdentifier], linked_ids: list[int], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.identifiers = identifiers
        ring = self.fields["ring"]
        assert isinstance(ring, forms.TypedMultipleChoiceField)
        ring.choices = [(i, str(i)) for i in linked_ids]
        if not self.is_bound:
            self.fields["gray_days"].initial = settings.GRAY_LIST_DAYS
            self.fields["attempt"].initial = uuid.uuid4()
        for identifier in identifiers:
            self.fields[f"indicator_{identifier.pk}"] = forms.ChoiceField(
                choices=LIST_CHOICES, required=False, label=identifier.display or identifier.value
            )

    def indicator_fields(self):
        return [(identifier, self[f"indicator_{identifier.pk}"]) for identifier in self.identifiers]

    def ticked_ring(self) -> set[int]:
        """The linked subjects ticked, as ids: what was sent (valid or not) on a form drawn
        again, so that no tick is lost on an error."""
        ticked = set()
        for value in self["ring"].value() or ():
            try:
                ticked.add(int(value))
            except (TypeError, ValueError):
                continue
        return ticked

    def choice(self, name: str) -> str:
        """A field's value as sent (or its initial value), as text: "" when none."""
        value = self[name].value()
        return "" if value is None else str(value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == ESCALATE:
            if not (data.get("internal_note") or "").strip():
                self.add_error("internal_note", _("Say why you escalate."))
        elif action:
            if data.get("vet_identifiers") and action != Decision.Action.CLEAR:
                self.add_error(
                    "vet_identifiers", _("Only a clearance puts identifiers on the cleared list.")
                )
            if not data.get("policy"):
                self.add_error("policy", _("Choose the policy the decision rests on."))
            if not (data.get("statement_of_reasons") or "").strip():
                self.add_error(
                    "statement_of_reasons", _("The user will read this: it is required.")
                )
        return data

    def summary(self, texts: dict[str, Any], linked_ids: Iterable[int], block_days: str) -> str:
        """What the form will do if sent as it stands, in one line (decision_summary); the
        block length is the one the page shows checked."""
        lists = [self.choice(f"indicator_{identifier.pk}") for identifier in self.identifiers]
        return decision_summary(
            texts,
            action=self.choice("action"),
            ring=len(self.ticked_ring() & set(linked_ids)),
            black=lists.count("black"),
            gray=lists.count("gray"),
            block_days=block_days,
        )

    @property
    def is_escalation(self) -> bool:
        return self.cleaned_data.get("action") == ESCALATE

    def to_request(self) -> DecisionRequest:
        data = self.cleaned_data
        choices = tuple(
            IndicatorChoice(identifier_id=identifier.pk, list=data[f"indicator_{identifier.pk}"])
            for identifier in self.identifiers
            if data.get(f"indicator_{identifier.pk}")
        )
        return DecisionRequest(
            action=data["action"],
            policy_id=data["policy"].pk,
            statement_of_reasons=data["statement_of_reasons"],
            language=data["language"],
            internal_note=data.get("internal_note") or "",
            indicators=choices,
            gray_days=data.get("gray_days"),
            ring_subject_ids=tuple(data.get("ring") or ()),
            vet_identifiers=bool(data.get("vet_identifiers")),
            attempt=data.get("attempt"),
            block_days=(
                data.get("block_days") if data["action"] == Decision.Action.BLOCK_ACCOUNT else None
            ),
        )


class StatementQuery(forms.Form):
    """Which statement template the decision form asks for: a current policy, a language."""

    policy = forms.ModelChoiceField(queryset=Policy.objects.filter(is_current=True))
    language = forms.ChoiceField(choices=LANGUAGES)

    def problem(self) -> str:
        """One line saying what is wrong with the query."""
        return " ".join(
            f"{name}: {' '.join(str(message) for message in messages)}"
            for name, messages in self.errors.items()
        )


class RejectProposalForm(forms.Form):
    note = forms.CharField(
        label=_("Why reject"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


RINGS = (Decision.Action.BLOCK_ACCOUNT, Decision.Action.REMOVE_LISTING)
LISTING = (*RINGS, Decision.Action.WARN)


def decision_summaries(
    *, linked: int, identifiers: int, durations: Iterable[int]
) -> dict[str, Any]:
    """Every sentence the decision form's summary line may say, for as many linked subjects
    and indicators as the case has: the page's script picks from them as the choices change
    (plural forms need the server's catalogue), and decision_summary puts them together."""
    texts: dict[str, Any] = {
        "none": gettext("No action chosen yet: nothing will be decided."),
        Decision.Action.BLOCK_ACCOUNT: [gettext("Blocks this subject's account.")],
        Decision.Action.REMOVE_LISTING: [gettext("Removes this listing.")],
        Decision.Action.CLEAR: gettext("Clears this subject: no violation."),
        Decision.Action.WARN: gettext("Warns this subject's user."),
        ESCALATE: gettext("Escalates the case to the senior moderators: nothing is decided."),
        "ring_ignored": gettext(
            "The ticked linked subjects are left as they are: only a block or a removal "
            "applies to a ring."
        ),
        "nothing_listed": gettext("Lists no indicator."),
        "clear_lists": gettext("A clearance lists nothing: untick the indicators."),
        "black": [""],
        "gray": [""],
        "length": {},
        "labels": {},
    }
    for n in range(1, linked + 1):
        values = {"count": n + 1, "linked": n}
        texts[Decision.Action.BLOCK_ACCOUNT].append(
            ngettext(
                "Blocks %(count)d account: this one and %(linked)d linked.",
                "Blocks %(count)d accounts: this one and %(linked)d linked.",
                n + 1,
            )
            % values
        )
        texts[Decision.Action.REMOVE_LISTING].append(
            ngettext(
                "Removes %(count)d listing: this one and %(linked)d linked.",
                "Removes %(count)d listings: this one and %(linked)d linked.",
                n + 1,
            )
            % values
        )
    for n in range(1, identifiers + 1):
        texts["black"].append(
            ngettext(
                "Lists %(count)d indicator on the black list.",
                "Lists %(count)d indicators on the black list.",
                n,
            )
            % {"count": n}
        )
        texts["gray"].append(
            ngettext(
                "Lists %(count)d indicator on the gray list.",
                "Lists %(count)d indicators on the gray list.",
                n,
            )
            % {"count": n}
        )
    for days in sorted(set(durations)):
        label = block_length_label(days)
        texts["labels"][str(days)] = label
        texts["length"][str(days)] = gettext("Block length: %(length)s.") % {"length": label}
    return texts


def decision_summary(
    texts: dict[str, Any], *, action: str, ring: int, black: int, gray: int, block_days: str
) -> str:
    """The summary line for these choices; static/js/app.js (summarise) says the same."""
    if action not in ACTIONS:
        return texts["none"]
    parts = []
    if action in RINGS:
        sentences = texts[action]
        parts.append(sentences[min(ring, len(sentences) - 1)])
        if action == Decision.Action.BLOCK_ACCOUNT and block_days in texts["length"]:
            parts.append(texts["length"][block_days])
    else:
        parts.append(texts[action])
        if ring:
            parts.append(texts["ring_ignored"])
    if action in LISTING:
        if black:
            parts.append(texts["black"][min(black, len(texts["black"]) - 1)])
        if gray:
            parts.append(texts["gray"][min(gray, len(texts["gray"]) - 1)])
        if not black and not gray:
            parts.append(texts["nothing_listed"])
    elif action == Decision.Action.CLEAR and (black or gray):
        parts.append(texts["clear_lists"])
    return " ".join(parts)


SNOOZE_PRESETS = [
    ("1h", _("for 1 hour")),
    ("4h", _("for 4 hours")),
    ("tomorrow", _("until tomorrow, 09:00")),
    ("at", _("until the time below")),
]


class SnoozeForm(forms.Form):
    """Put a held case aside until a time (a preset or a chosen one), with a note."""

    # Its fields share the case page with the decision form and the notes.
    prefix = "snooze"

    preset = forms.ChoiceField(
        label=_("Snooze"), choices=SNOOZE_PRESETS, initial="1h", widget=forms.RadioSelect
    )
    until = forms.DateTimeField(
        label=_("Until (Almaty time)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("Note (everyone working the case reads it)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why you snooze the case.")},
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def snooze_until(self, preset: str, chosen: datetime | None) -> datetime | None:
        if preset == "1h":
            return self.now + timedelta(hours=1)
        if preset == "4h":
            return self.now + timedelta(hours=4)
        if preset == "tomorrow":
            # Nine in the morning where the moderators work (settings.TIME_ZONE, Almaty).
            here = timezone.localtime(self.now, timezone.get_default_timezone())
            tomorrow = here.date() + timedelta(days=1)
            return datetime.combine(tomorrow, time(9), tzinfo=here.tzinfo)
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "preset" not in data:
            return data
        until = self.snooze_until(data["preset"], data.get("until"))
        if until is None:
            if "until" not in self.errors:
                self.add_error("until", _("Choose the time the snooze ends."))
            return data
        problem = snooze_problem(until, self.now)
        if problem:
            self.add_error("until" if data["preset"] == "at" else "preset", problem)
        data["snooze_until"] = until
        return data
