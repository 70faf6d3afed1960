"""The language the `flask` commands write in: Vietnamese, or English with `--lang en`.

The rule is the option alone (the shell's LANG/LC_ALL are not read), so a cron job prints
the same words on every server whatever locale its image ships with. `add_language_option`
gives every command under a click group that option; the command then runs with its
language forced through Flask-Babel, so what it echoes, its progress labels and the
messages of the errors it reports all come from the catalogues like the pages' do.
E-mails a command sends keep their reader's language (`mail/language.py`).
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import ScriptInfo
from flask_babel import force_locale

from .extensions import LANGUAGES


def _speak(ctx: click.Context, _param: click.Parameter, lang: str) -> str:
    """Force `lang` for the rest of the command (the app context is the command's own if
    nothing pushed one yet, as `flask.cli.with_appcontext` would)."""
    if not current_app:
        ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())
    ctx.with_resource(force_locale(lang))
    return lang


def language_option() -> click.Option:
    return click.Option(["--lang"], type=click.Choice(LANGUAGES), default="vi", show_default=True,
                        is_eager=True, expose_value=False, callback=_speak,
                        help="Language of the output: vi (Vietnamese) or en (English).")


def add_language_option(command: click.Command) -> None:
    """Give `command` (every command below it, for a group) the `--lang` option, once."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_language_option(sub)
    elif not any(param.name == "lang" for param in command.params):
        command.params.append(language_option())
