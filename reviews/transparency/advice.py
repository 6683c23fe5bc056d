"""What the scam-awareness page tells a reader to do about each scheme, and whatever the
scheme: hand-written advice, as whole sentences for the translators (reviews.transparency.
scams shows it beside the month's figures)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from antifraud.models import Scheme

ADVICE: dict[str, tuple[Promise, ...]] = {
    Scheme.FAKE_RENTAL: (
        _("Never pay a “reservation” or a deposit for a flat before you have seen it."),
        _(
            "Ask to see the flat and the owner’s documents for it, or at least a video call from inside it."
        ),
        _("Pay when you get the keys, or through the platform’s own booking if it offers one."),
    ),
    Scheme.UNDERPRICED_VEHICLE: (
        _(
            "A car far cheaper than others of its make, model and year is a warning sign, not a bargain."
        ),
        _(
            "Meet the seller, see the car and check its registration documents before you pay anything."
        ),
        _(
            "Never pay an advance to “hold” a car, and never pay a third party on the seller’s behalf."
        ),
    ),
    Scheme.UNDERPRICED_PROPERTY: (
        _(
            "A flat or a house far cheaper than similar ones nearby is a warning sign, not a bargain."
        ),
        _(
            "Check who owns the property and its title documents before you pay anything; a notary can help."
        ),
        _("Never pay a deposit to “hold” a property you have not seen."),
    ),
    Scheme.PREPAID_DELIVERY: (
        _("Do not pay in advance for goods or car parts that a stranger promises to send you."),
        _(
            "Use the platform’s safe deal or pay on delivery, so that the seller is paid only once you have the goods."
        ),
        _(
            "Do not follow a “delivery service” link sent in a chat: pay only on the platform itself."
        ),
    ),
    Scheme.FAKE_PHOTOS: (
        _("Ask the seller for a new photo or a short video of the item, taken today."),
        _("The same photos under another name or in another city are a warning sign."),
    ),
    Scheme.FAKE_CONTACTS: (
        _(
            "Call the seller before you pay: a number that does not answer or does not exist is a warning sign."
        ),
        _(
            "Keep the conversation in the platform’s chat, where it can be checked if something goes wrong."
        ),
    ),
    Scheme.REPEAT_OFFENDER: (
        _("Take extra care with a brand-new account that posts many listings at once."),
        _("Read the seller’s reviews and see how long they have been on the platform."),
    ),
    Scheme.FICTITIOUS_STORE: (
        _(
            "Check that an online shop has a real address, a business identification number (BIN) and reviews outside its own site."
        ),
        _(
            "Pay through the platform or on delivery, never by a transfer to a private person’s card."
        ),
    ),
    Scheme.FALSE_INVESTMENT: (
        _("Nobody can promise a guaranteed high return: an offer that does is a scam."),
        _(
            "Check that the company is licensed by the Agency for Regulation and Development of the Financial Market."
        ),
        _(
            "Never install an app or give remote access to your phone because a stranger asks you to."
        ),
    ),
    Scheme.FALSE_CALL: (
        _(
            "A bank, the police or a buyer never needs your card’s CVV code, a code from an SMS or a password."
        ),
        _("Hang up and call your bank yourself on the number printed on your card."),
        _("Never move your money to a “safe account”, whoever tells you to."),
    ),
    Scheme.OTHER: (
        _("Do not pay, and do not give any code, to someone you have not met and cannot check."),
    ),
}

GENERAL_ADVICE: tuple[Promise, ...] = (
    _("Pay only once you have seen the thing or the flat, or through the platform’s safe deal."),
    _("Never tell anyone a code from an SMS, your card’s CVV code or a password, whoever asks."),
    _(
        "Keep the conversation and the payment on the platform: scammers push you to a messenger and a transfer to a card."
    ),
    _("Report the listing on the platform where you saw it, with the “Report” button beside it."),
    _(
        "If you have paid, call your bank at once and ask it to stop the card transfer, then call the police on 102."
    ),
)
