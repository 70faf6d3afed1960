"""Each e-mail is written in its reader's language.

A user's language is the one they last used the site in (`users.lang`); a guest order's
contact reads the language the order was placed in (`orders.contact_lang`); an address
the market knows nothing about (an invitation, a producer's own address) gets Vietnamese,
the market's first language. Messages are composed inside `flask_babel.force_locale`,
so their message ids, money, dates and templates all follow the reader, not whoever's
request happened to cause the mail (a webhook, a seller, cron).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import has_request_context
from flask_babel import force_locale, get_locale

from ..extensions import LANGUAGES
from .outbox import recipients_of, send_after_commit

DEFAULT = LANGUAGES[0]


def language(lang: str | None) -> str:
    """`lang` if the market speaks it, else Vietnamese."""
    return lang if lang in LANGUAGES else DEFAULT


def current_language() -> str:
    """The language of the request being served (Vietnamese outside a request)."""
    return language(str(get_locale() or DEFAULT) if has_request_context() else DEFAULT)


def send_in(lang: str | None, to, compose: Callable[[], tuple[str, str]]) -> None:
    """Queue one message to `to` written in `lang`: `compose()` gives (subject, text)."""
    if not recipients_of(to):
        return
    with force_locale(language(lang)):
        subject, text = compose()
    send_after_commit(to, str(subject), str(text))


def send_to_each(groups: dict[str, list[str]], compose: Callable[[], tuple[str, str]]) -> None:
    """One message per language of `groups` (language -> addresses, as
    `accounts.languages.languages_of` gives them), each composed in that language."""
    for lang, addresses in groups.items():
        send_in(lang, addresses, compose)
