"""Forms of staff accounts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from accounts.languages import LANGUAGES


class LanguageForm(forms.Form):
    """The top bar's language switcher: the three languages, each named in itself."""

    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=LANGUAGES,
        error_messages={"invalid_choice": gettext_lazy("Choose one of the offered languages.")},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
