from antifraud.models.audit import AuditChain, AuditEvent
from antifraud.models.immutable import ImmutableModel, ImmutableQuerySet, ImmutableRecordError
from antifraud.models.indicators import Indicator, MarketPrice
from antifraud.models.outbox import Delivery, DeliveryCircuit, FeedHead
from antifraud.models.subjects import (
    Category,
    DetectionRule,
    IndicatorKind,
    Photo,
    PhotoHash,
    Scheme,
    Signal,
    Subject,
    SubjectIdentifier,
    TextPrint,
)

__all__ = [
    "AuditChain",
    "AuditEvent",
    "Category",
    "Delivery",
    "DeliveryCircuit",
    "DetectionRule",
    "FeedHead",
    "ImmutableModel",
    "ImmutableQuerySet",
    "ImmutableRecordError",
    "Indicator",
    "IndicatorKind",
    "MarketPrice",
    "Photo",
    "PhotoHash",
    "Scheme",
    "Signal",
    "Subject",
    "SubjectIdentifier",
    "TextPrint",
]
