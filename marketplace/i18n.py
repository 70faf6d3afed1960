"""Translations: Vietnamese first (the default locale), English second.

Message ids are English; each package keeps its Vietnamese catalogue in
`<package>/translations/vi/LC_MESSAGES/messages.po` and Flask-Babel merges them,
so domains never edit one shared file.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale

PACKAGE_DIR = Path(__file__).resolve().parent


def translation_directories() -> list[str]:
    return sorted(str(p) for p in PACKAGE_DIR.glob("**/translations") if p.is_dir())


def compile_catalogs(force: bool = False) -> int:
    """Compile every messages.po into messages.mo (when stale). Returns how many were written.

    Runs at every app start (create_app), so the app serves Vietnamese however it is
    started (`make run`, the Procfile's release and web commands, a bare gunicorn): the .mo
    files are build products, never committed. Each file is written under a temporary name
    and renamed into place, so several processes starting at once (gunicorn workers without
    preload, the release step beside a running server) never read a half-written catalogue.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = 0
    for directory in translation_directories():
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as fh:
                catalog = read_po(fh)
            fd, tmp_name = tempfile.mkstemp(prefix=".messages-", suffix=".mo", dir=mo_path.parent)
            try:
                with os.fdopen(fd, "wb") as fh:
                    write_mo(fh, catalog)
                os.replace(tmp_name, mo_path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp_name)
                raise
            written += 1
    return written


def compile_catalogs_at_start(logger) -> None:
    """Compile stale catalogues when the app starts; a read-only install (catalogues built
    into the image) is not an error, but missing catalogues there are worth a warning."""
    try:
        compile_catalogs()
    except OSError as exc:
        logger.warning("Could not compile the translation catalogues (%s): pages may be served "
                       "in English. Run `flask --app wsgi i18n compile` where the code is writable.", exc)


def switch_language_url(lang: str) -> str:
    """The current page in another language: same path and query, `lang` replaced."""
    from flask import request

    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return request.path + "?" + urlencode(args, doseq=True)


def other_languages(current: str) -> list[tuple[str, str]]:
    """The languages a page can switch to: (code, the language's name in itself, from Babel's
    locale data: "Tiếng Việt", "English"), so that a reader finds their own language whatever
    the page's."""
    from .extensions import LANGUAGES

    return [(code, _endonym(code)) for code in LANGUAGES if code != current]


@functools.cache
def _endonym(code: str) -> str:
    name = Locale.parse(code).display_name
    return name[:1].upper() + name[1:]


# --- The libraries' own messages --------------------------------------------------------------
# WTForms ships no Vietnamese catalogue and marshmallow none at all, so their built-in messages
# ("This field is required.", "Not a valid integer.") are listed here, translated in this
# package's catalogue like ours, and looked up in the request's language.


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


WTFORMS_MESSAGES = (
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
)
def wtforms_plural_messages(n: int) -> tuple[str, ...]:
    """WTForms' messages with plural forms, in the request's language (unformatted)."""
    translations = FormTranslations()
    return (translations.ngettext("Field must be at least %(min)d character long.",
                                  "Field must be at least %(min)d characters long.", n),
            translations.ngettext("Field cannot be longer than %(max)d character.",
                     "Field cannot be longer than %(max)d characters.", n),
            translations.ngettext("Field must be exactly %(max)d character long.",
                                  "Field must be exactly %(max)d characters long.", n),
            translations.ngettext("'%(value)s' is not a valid choice for this field.",
                                  "'%(value)s' are not valid choices for this field.", n))


# marshmallow's messages as it finally words them (str.format fields left in; Range's
# "Must be {min_op} {{min}}." spelled out for each operator).
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid UUID."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid integer."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid {obj_type}."),
    N_("Not a valid {awareness} {obj_type}."),
    N_('"{input}" cannot be formatted as a {obj_type}.'),
    N_("Not a valid date."),
    N_('"{input}" cannot be formatted as a date.'),
    N_("Not a valid period of time."),
    N_("{input!r} cannot be formatted as a timedelta."),
    N_("Not a valid mapping type."),
    N_("Not a valid URL."),
    N_("Not a valid email address."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("Must be one of: {choices}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be equal to {other}."),
    N_("String does not match expected pattern."),
    N_("Invalid input."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
    N_("Invalid input type."),
    N_("Unknown field."),
)

_FIELD = re.compile(r"\{(\w+)(![rs])?\}")


@functools.cache
def _message_patterns() -> tuple[dict[str, str], list[tuple[re.Pattern, str]]]:
    exact, patterns = {}, []
    for template in MARSHMALLOW_MESSAGES:
        if not _FIELD.search(template):
            exact[template] = template
            continue
        parts, last = [], 0
        for match in _FIELD.finditer(template):
            parts.append(re.escape(template[last:match.start()]))
            parts.append(f"(?P<{match.group(1)}>.+?)")
            last = match.end()
        parts.append(re.escape(template[last:]))
        patterns.append((re.compile("".join(parts), re.S), template))
    return exact, patterns


def translate_library_message(text: str) -> str:
    """marshmallow's English message (already filled in) in the request's language."""
    from flask_babel import gettext

    exact, patterns = _message_patterns()
    if text in exact:
        return gettext(text)
    for pattern, template in patterns:
        match = pattern.fullmatch(text)
        if match:
            translated = _FIELD.sub(lambda m: "{" + m.group(1) + "}", gettext(template))
            try:
                return translated.format(**match.groupdict())
            except (KeyError, IndexError, ValueError):
                return text
    return text


class FormTranslations:
    """WTForms' translations object (its `gettext`/`ngettext` return the message unformatted:
    WTForms fills it in itself), answering from our catalogues in the request's language."""

    def gettext(self, string: str) -> str:
        from flask_babel import get_translations

        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        from flask_babel import get_translations

        return get_translations().ungettext(singular, plural, n)


def init_form_translations() -> None:
    """Flask-WTF hands every form its module-level `translations` (with WTF_I18N_ENABLED),
    which reads WTForms' own catalogues: these have no Vietnamese, so ours replace them."""
    import flask_wtf.form

    flask_wtf.form.translations = FormTranslations()


# --- Numbers, percentages and dates as the request's locale writes them -------------------------

def current_locale() -> str:
    from flask import has_request_context
    from flask_babel import get_locale

    return str(get_locale() or "vi") if has_request_context() else "vi"


def format_percent(value, locale: str | None = None) -> str:
    """A figure already in percent (14.94) as the locale writes it: vi '14,94%', en '14.94%';
    at most two decimals, none when it is whole ('20%')."""
    from babel.numbers import format_percent as babel_percent

    if value is None:
        return ""
    return babel_percent(float(value) / 100, "#,##0.##%", locale=locale or current_locale())


def format_number(value, locale: str | None = None) -> str:
    """vi '1.025.000', en '1,025,000'; up to three decimals for a non-integer."""
    from babel.numbers import format_decimal

    if value is None:
        return ""
    return format_decimal(value, locale=locale or current_locale())


DATETIME_PATTERNS = {"vi": "dd/MM/yyyy HH:mm", "en": "d MMM yyyy, HH:mm"}
DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}


def format_local_datetime(value, locale: str | None = None) -> str:
    """A time (a datetime, or an ISO 8601 string such as a receipt's '2025-03-01T09:15:00+07:00')
    in Asia/Ho_Chi_Minh, as the locale writes it: vi '01/03/2025 09:15', en '1 Mar 2025, 09:15'."""
    from babel.dates import format_datetime

    from .timeutil import to_local

    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    locale = locale or current_locale()
    return format_datetime(to_local(value), DATETIME_PATTERNS.get(locale, DATETIME_PATTERNS["vi"]),
                           locale=locale)


def format_local_date(value, locale: str | None = None) -> str:
    """A calendar date (or a time, taken in Asia/Ho_Chi_Minh): vi '01/03/2025', en '1 Mar 2025'."""
    from babel.dates import format_date

    from .timeutil import to_local

    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = to_local(value).date()
    locale = locale or current_locale()
    return format_date(value, DATE_PATTERNS.get(locale, DATE_PATTERNS["vi"]), locale=locale)
