"""The published policy catalogue, version 1, in English and Russian.

Each statement template is the starting point of the statement of reasons a moderator sends;
`{title}` is the listing's title or the account's name, `{partner}` the platform.
"""

from django.db import migrations

ENFORCE = ["block_account", "remove_listing", "warn"]

POLICIES = [
    {
        "code": "fake-rental",
        "scheme": "fake_rental",
        "allowed_actions": ENFORCE,
        "title_en": "Fake short-term rental",
        "title_ru": "Фиктивная посуточная аренда",
        "text_en": (
            "A rental listing must offer a place that exists and can be rented on the terms "
            "shown. Asking for a prepayment or a deposit to reserve a place that does not exist, "
            "is not available or is not the advertiser's to let is fraud. Accounts that do this "
            "are blocked and their listings removed."
        ),
        "text_ru": (
            "Объявление об аренде должно предлагать жильё, которое существует и сдаётся на "
            "указанных условиях. Требовать предоплату или залог за бронирование жилья, которого "
            "нет, которое недоступно или не принадлежит автору объявления, — мошенничество. "
            "Такие аккаунты блокируются, а их объявления снимаются."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The listing offered a short-term rental and "
            "asked for a prepayment to reserve a place that, on the evidence we reviewed, is not "
            "available to rent. This breaks the policy on fake rentals (fake-rental)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. В объявлении предлагалась посуточная аренда с "
            "предоплатой за бронирование жилья, которое, по имеющимся у нас данным, недоступно "
            "для аренды. Это нарушает правило о фиктивной аренде (fake-rental)."
        ),
    },
    {
        "code": "underpriced-vehicle",
        "scheme": "underpriced_vehicle",
        "allowed_actions": ENFORCE,
        "title_en": "Vehicle at a suspiciously low price",
        "title_ru": "Автомобиль по подозрительно низкой цене",
        "text_en": (
            "Vehicles offered far below the market price of the same model, year and city, "
            "together with a demand for an advance payment, a deposit or a transfer to a third "
            "party before the buyer has seen the car, are a known fraud scheme and are removed."
        ),
        "text_ru": (
            "Автомобили, предлагаемые намного дешевле рыночной цены той же модели, года и "
            "города, вместе с требованием аванса, задатка или перевода третьему лицу до осмотра "
            "машины, — известная мошенническая схема; такие объявления снимаются."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The vehicle was offered far below the usual "
            "price for its model and city, and the evidence shows a demand for payment before "
            "the buyer could see it. This breaks the policy on underpriced vehicles "
            "(underpriced-vehicle)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Автомобиль предлагался намного дешевле обычной "
            "цены для этой модели и города, и имеющиеся данные показывают требование оплаты до "
            "осмотра. Это нарушает правило об автомобилях по заниженной цене "
            "(underpriced-vehicle)."
        ),
    },
    {
        "code": "underpriced-property",
        "scheme": "underpriced_property",
        "allowed_actions": ENFORCE,
        "title_en": "Property at a suspiciously low price",
        "title_ru": "Недвижимость по подозрительно низкой цене",
        "text_en": (
            "Flats and houses offered far below the market price of comparable property in the "
            "same city, with a demand for a deposit before a viewing or a contract, are a known "
            "fraud scheme and are removed."
        ),
        "text_ru": (
            "Квартиры и дома, предлагаемые намного дешевле рыночной цены сопоставимой "
            "недвижимости в том же городе, с требованием задатка до просмотра или договора, — "
            "известная мошенническая схема; такие объявления снимаются."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The property was offered far below the usual "
            "price in its city, and the evidence shows a demand for a deposit before a viewing. "
            "This breaks the policy on underpriced property (underpriced-property)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Недвижимость предлагалась намного дешевле "
            "обычной цены в этом городе, и имеющиеся данные показывают требование задатка до "
            "просмотра. Это нарушает правило о недвижимости по заниженной цене "
            "(underpriced-property)."
        ),
    },
    {
        "code": "prepaid-delivery",
        "scheme": "prepaid_delivery",
        "allowed_actions": ENFORCE,
        "title_en": "Prepaid delivery that never arrives",
        "title_ru": "Доставка по предоплате, которая не приходит",
        "text_en": (
            "Sellers who demand full payment up front for delivery of goods, such as car parts, "
            "and then do not deliver, or who cannot show that they hold the goods, are blocked. "
            "Safe-deal and cash-on-delivery options exist for honest sellers."
        ),
        "text_ru": (
            "Продавцы, которые требуют полную предоплату за доставку товара, например "
            "автозапчастей, и затем не доставляют его или не могут подтвердить его наличие, "
            "блокируются. Для честных продавцов есть безопасная сделка и оплата при получении."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The seller demanded payment in advance for "
            "delivery, and the evidence shows goods that were paid for and not delivered. This "
            "breaks the policy on prepaid delivery (prepaid-delivery)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Продавец требовал предоплату за доставку, и "
            "имеющиеся данные показывают оплаченный, но не доставленный товар. Это нарушает "
            "правило о доставке по предоплате (prepaid-delivery)."
        ),
    },
    {
        "code": "fake-photos",
        "scheme": "fake_photos",
        "allowed_actions": ENFORCE,
        "title_en": "Stolen or fake photos",
        "title_ru": "Чужие или поддельные фотографии",
        "text_en": (
            "Photos must show the item or place on offer. Photos copied from other people's "
            "listings or from elsewhere, used to advertise something the advertiser does not "
            "have, mislead buyers and lead to removal."
        ),
        "text_ru": (
            "Фотографии должны показывать предлагаемый товар или жильё. Фотографии, "
            "скопированные из чужих объявлений или других источников для рекламы того, чего у "
            "автора нет, вводят покупателей в заблуждение и ведут к снятию объявления."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. Its photos also appear in other people's "
            "listings and do not show an item or place the advertiser holds. This breaks the "
            "policy on stolen photos (fake-photos)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Его фотографии встречаются в чужих объявлениях "
            "и не показывают товар или жильё, которыми располагает автор. Это нарушает правило о "
            "чужих фотографиях (fake-photos)."
        ),
    },
    {
        "code": "fake-contacts",
        "scheme": "fake_contacts",
        "allowed_actions": ENFORCE,
        "title_en": "Fake contact details",
        "title_ru": "Поддельные контактные данные",
        "text_en": (
            "Contact details must belong to the advertiser and work. Phone numbers or e-mail "
            "addresses that do not exist, or that belong to someone else, are used to take "
            "buyers off the platform and lead to a block."
        ),
        "text_ru": (
            "Контактные данные должны принадлежать автору объявления и работать. Номера "
            "телефонов или адреса e-mail, которые не существуют или принадлежат другому "
            "человеку, используются, чтобы увести покупателя с площадки, и ведут к блокировке."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The contact details it gives do not exist or "
            "belong to someone else. This breaks the policy on fake contact details "
            "(fake-contacts)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Указанные контактные данные не существуют или "
            "принадлежат другому человеку. Это нарушает правило о поддельных контактах "
            "(fake-contacts)."
        ),
    },
    {
        "code": "repeat-offender",
        "scheme": "repeat_offender",
        "allowed_actions": ["block_account", "remove_listing"],
        "title_en": "New account of a blocked user",
        "title_ru": "Новый аккаунт заблокированного пользователя",
        "text_en": (
            "A user whose account was blocked for fraud may not return under a new account. "
            "New accounts that share phones, cards, devices or photos with a blocked account are "
            "blocked in turn, after a moderator has checked the link."
        ),
        "text_ru": (
            "Пользователь, аккаунт которого заблокирован за мошенничество, не может вернуться "
            "под новым аккаунтом. Новые аккаунты с теми же телефонами, картами, устройствами "
            "или фотографиями, что и у заблокированного, блокируются после проверки модератором."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. It shares contact details, devices or photos "
            "with an account blocked earlier for fraud. This breaks the policy on repeat "
            "registrations (repeat-offender)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. У него общие контакты, устройства или "
            "фотографии с аккаунтом, ранее заблокированным за мошенничество. Это нарушает "
            "правило о повторной регистрации (repeat-offender)."
        ),
    },
    {
        "code": "fictitious-store",
        "scheme": "fictitious_store",
        "allowed_actions": ENFORCE,
        "title_en": "Fictitious online store",
        "title_ru": "Фиктивный интернет-магазин",
        "text_en": (
            "Advertising a shop that does not exist, taking orders and payments for goods that "
            "are never sent, is fraud. The account is blocked and its listings removed."
        ),
        "text_ru": (
            "Реклама несуществующего магазина, приём заказов и оплаты за товары, которые не "
            "отправляются, — мошенничество. Аккаунт блокируется, а его объявления снимаются."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. It advertises a shop that, on the evidence we "
            "reviewed, takes payments and does not send goods. This breaks the policy on "
            "fictitious stores (fictitious-store)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Он рекламирует магазин, который, по имеющимся "
            "у нас данным, принимает оплату и не отправляет товар. Это нарушает правило о "
            "фиктивных магазинах (fictitious-store)."
        ),
    },
    {
        "code": "false-investment",
        "scheme": "false_investment",
        "allowed_actions": ENFORCE,
        "title_en": "False investment offer",
        "title_ru": "Ложное инвестиционное предложение",
        "text_en": (
            "Offers of guaranteed or unusually high returns, unlicensed trading or 'earnings' "
            "that require a payment first are not allowed and lead to a block."
        ),
        "text_ru": (
            "Предложения гарантированного или необычно высокого дохода, нелицензированной "
            "торговли или «заработка», требующего сначала оплаты, запрещены и ведут к блокировке."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. It offers returns that require a payment first "
            "and no licence to invest others' money. This breaks the policy on false investments "
            "(false-investment)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. В нём предлагается доход, требующий сначала "
            "оплаты, без лицензии на привлечение чужих средств. Это нарушает правило о ложных "
            "инвестициях (false-investment)."
        ),
    },
    {
        "code": "false-call",
        "scheme": "false_call",
        "allowed_actions": ENFORCE,
        "title_en": "False calls",
        "title_ru": "Ложные звонки",
        "text_en": (
            "Calling or messaging people while posing as a bank, a platform's support, the "
            "police or a buyer, to obtain card details, codes or payments, is fraud and leads to "
            "a block."
        ),
        "text_ru": (
            "Звонки и сообщения от имени банка, службы поддержки площадки, полиции или "
            "покупателя с целью получить данные карты, коды или оплату — мошенничество и ведут "
            "к блокировке."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner}. The evidence shows calls or messages posing as "
            "someone else to obtain card details or payments. This breaks the policy on false "
            "calls (false-call)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner}. Имеющиеся данные показывают звонки или "
            "сообщения от чужого имени с целью получить данные карты или оплату. Это нарушает "
            "правило о ложных звонках (false-call)."
        ),
    },
    {
        "code": "other-fraud",
        "scheme": "other",
        "allowed_actions": ENFORCE,
        "title_en": "Other fraud",
        "title_ru": "Иное мошенничество",
        "text_en": (
            "Deceiving people to obtain money or personal data in a way not named elsewhere in "
            "this catalogue is fraud. The statement of reasons says what was found."
        ),
        "text_ru": (
            "Обман с целью получить деньги или личные данные способом, не названным в других "
            "правилах каталога, — мошенничество. Что именно обнаружено, сказано в обосновании "
            "решения."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner} and found that it deceives people to obtain "
            "money or personal data: [describe what was found]. This breaks the policy on other "
            "fraud (other-fraud)."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner} и установили, что оно используется для обмана "
            "с целью получить деньги или личные данные: [опишите, что обнаружено]. Это нарушает "
            "правило об ином мошенничестве (other-fraud)."
        ),
    },
    {
        "code": "no-violation",
        "scheme": "",
        "allowed_actions": ["clear"],
        "title_en": "No violation found",
        "title_ru": "Нарушений не обнаружено",
        "text_en": (
            "A flagged account or listing is cleared when review finds no breach of these "
            "policies. A clearance is recorded so that the same honest details are not flagged "
            "again without new evidence."
        ),
        "text_ru": (
            "Аккаунт или объявление снимается с проверки, если проверка не выявила нарушений "
            "этих правил. Решение сохраняется, чтобы те же добросовестные данные не отмечались "
            "повторно без новых оснований."
        ),
        "statement_en": (
            "We reviewed «{title}» on {partner} and found no breach of our policies. No action "
            "has been taken."
        ),
        "statement_ru": (
            "Мы проверили «{title}» на {partner} и не обнаружили нарушений наших правил. Никаких "
            "мер не принято."
        ),
    },
]


def publish(apps, schema_editor):
    Policy = apps.get_model("reviews", "Policy")
    for entry in POLICIES:
        Policy.objects.update_or_create(
            code=entry["code"], version=1, defaults={**entry, "is_current": True}
        )


def unpublish(apps, schema_editor):
    Policy = apps.get_model("reviews", "Policy")
    Policy.objects.filter(code__in=[p["code"] for p in POLICIES], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0002_decision_immutable")]

    operations = [migrations.RunPython(publish, unpublish)]
