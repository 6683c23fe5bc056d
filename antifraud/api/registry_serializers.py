"""Serializers of the registry's partner endpoints: withdrawals, disputes, feedback and
reassigned numbers. They validate and shape; they never save."""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from antifraud.api.serializers import (
    REASON_MAX,
    AnyJSONField,
    NormalizedField,
    StrictCharField,
    StrictIntegerField,
)
from antifraud.models import Dispute, Feedback, IndicatorKind

# Items of one feedback or reassignment call.
REGISTRY_MAX_ITEMS = 100
# The largest id the database holds (bigint).
ID_MAX = 2**63 - 1


class WithdrawalSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The entry.")
    delisted = serializers.BooleanField(
        help_text="True when the entry left the gray list (`indicator.delisted`); false when "
        "other partners still stand behind it, so it stays without your support."
    )


# --- disputes -----------------------------------------------------------------------------


class DisputeRequestSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=REASON_MAX,
        help_text="Why the entry is wrong, for the senior moderator who reviews it.",
    )


class DisputeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The dispute.")
    entry = serializers.IntegerField(help_text="The disputed list entry.")
    status = serializers.ChoiceField(
        choices=Dispute.Status.choices,
        help_text="`open` until a senior moderator upholds the entry or revokes it; you are "
        "told the outcome by an `indicator.disputed` event.",
    )


# --- per-item batches: feedback and reassigned numbers ------------------------------------


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Machine-readable: `invalid`, `not_found`, `invalid_phone`, …"
    )
    message = serializers.CharField()


def _items_field(child: serializers.Field, label: str) -> serializers.ListField:
    return serializers.ListField(
        child=child,
        max_length=REGISTRY_MAX_ITEMS,
        help_text=f"{label}; at most {REGISTRY_MAX_ITEMS}, each accepted or rejected on its own.",
    )


class FeedbackItemSerializer(serializers.Serializer):
    entry = StrictIntegerField(
        min_value=1, max_value=ID_MAX, help_text="The list entry (a match's `id`)."
    )
    verdict = serializers.ChoiceField(
        choices=Feedback.Verdict.choices,
        help_text="`true_positive`: your investigation found the value was used in a fraud; "
        "`false_positive`: it was an honest customer.",
    )
    note = StrictCharField(
        max_length=REASON_MAX, required=False, allow_blank=True, help_text="What you found."
    )


class FeedbackBatchSerializer(serializers.Serializer):
    """The feedback body as documented; each item is validated on its own."""

    items = _items_field(FeedbackItemSerializer(), "Findings on entries")


class FeedbackBatchShapeSerializer(serializers.Serializer):
    items = serializers.ListField(child=AnyJSONField(), max_length=REGISTRY_MAX_ITEMS)


class ItemStatus(models.TextChoices):
    """How one item of a per-item batch fared."""

    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class ItemStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ItemStatus.choices, **kwargs)


class FeedbackResultSerializer(serializers.Serializer):
    entry = serializers.IntegerField(
        allow_null=True, help_text="The entry as sent; null when it was not a number."
    )
    status = ItemStatusField()
    error = ItemErrorSerializer(allow_null=True, help_text="Why the item was rejected.")


class FeedbackResponseSerializer(serializers.Serializer):
    results = FeedbackResultSerializer(many=True, help_text="One per item, in the order sent.")


class ReassignmentItemSerializer(serializers.Serializer):
    phone = NormalizedField(IndicatorKind.PHONE, help_text="The number, in any usual notation.")
    reassigned_on = serializers.DateField(
        help_text="The day the number went to its new subscriber (YYYY-MM-DD); not in the future."
    )


class ReassignmentBatchSerializer(serializers.Serializer):
    """The reassignments body as documented; each item is validated on its own."""

    items = _items_field(ReassignmentItemSerializer(), "Numbers given to new subscribers")


class ReassignmentBatchShapeSerializer(serializers.Serializer):
    items = serializers.ListField(child=AnyJSONField(), max_length=REGISTRY_MAX_ITEMS)


class ReassignmentResultSerializer(serializers.Serializer):
    phone = serializers.CharField(
        allow_null=True, help_text="The number as sent; null when it was not a string."
    )
    status = ItemStatusField()
    delisted = serializers.IntegerField(
        help_text="Entries on the number that left force (`indicator.delisted`, reason "
        "`reassigned`): those listed before the reassignment."
    )
    error = ItemErrorSerializer(allow_null=True, help_text="Why the item was rejected.")


class ReassignmentResponseSerializer(serializers.Serializer):
    results = ReassignmentResultSerializer(many=True, help_text="One per item, in the order sent.")
