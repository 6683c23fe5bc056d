"""Forms shape input for the services; the rules themselves live in the services."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.languages import LANGUAGES
from antifraud.models import SubjectIdentifier
from antifraud.models.indicators import GRAY_DAYS_MAX, GRAY_DAYS_MIN
from reviews.limits import TEXT_MAX
from reviews.models import Decision, Policy
from reviews.services import DecisionRequest, IndicatorChoice

ESCALATE = "escalate"
ACTION_CHOICES = [
    (Decision.Action.BLOCK_ACCOUNT, _("Block account")),
    (Decision.Action.REMOVE_LISTING, _("Remove listing")),
    (Decision.Action.CLEAR, _("Clear")),
    (Decision.Action.WARN, _("Warn")),
    (ESCALATE, _("Escalate")),
]
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
