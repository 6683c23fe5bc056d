"""State changes of the fraud-intelligence core. Each runs in one transaction (joining the
caller's when there is one) and writes its audit event through antifraud.audit."""

from antifraud.services.detection import detection_rule_configure
from antifraud.services.indicators import (
    Listing,
    indicator_list,
    indicators_expire,
    indicators_revoke,
)
from antifraud.services.markets import market_prices_refresh
from antifraud.services.outbox import feed_extend, outbox_write
from antifraud.services.subjects import subject_status_set

__all__ = [
    "Listing",
    "detection_rule_configure",
    "feed_extend",
    "indicator_list",
    "indicators_expire",
    "indicators_revoke",
    "market_prices_refresh",
    "outbox_write",
    "subject_status_set",
]
