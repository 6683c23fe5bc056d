from antifraud.models.audit import AuditChain, AuditEvent
from antifraud.models.immutable import ImmutableModel, ImmutableQuerySet, ImmutableRecordError
from antifraud.models.indicators import Indicator, MarketPrice
from antifraud.models.outbox import Delivery, DeliveryCircuit, FeedHead
from antifraud.models.subjects import (
    Category,
    IndicatorKind,
    Photo,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
)

__all__ = [
    "AuditChain",
    "AuditEvent",
    "Category",
    "Delivery",
    "DeliveryCircuit",
    "FeedHead",
    "ImmutableModel",
    "ImmutableQuerySet",
    "ImmutableRecordError",
    "Indicator",
    "IndicatorKind",
    "MarketPrice",
    "Photo",
    "Scheme",
    "Signal",
    "Subject",
    "SubjectIdentifier",
]
