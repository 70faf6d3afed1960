"""The `flask` commands speak Vietnamese, or English with `--lang en`: every command takes the
option, what it prints and the errors it reports follow it, and nothing else decides (the
shell's LANG/LC_ALL do not, so cron prints the same words on every server)."""
from __future__ import annotations

import click
import click.testing
from flask_babel import gettext

from marketplace.extensions import LANGUAGES


def _commands(group: click.Group, path: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{path}{name} ")
        else:
            yield f"{path}{name}", command


def test_every_command_takes_the_language_option(app):
    commands = dict(_commands(app.cli))
    assert {"orders expire-unpaid", "payments retry-refunds", "seed", "users create", "mail worker"} <= set(commands)
    for name, command in commands.items():
        (option,) = [p for p in command.params if p.name == "lang"] or [None]
        assert option is not None, f"`flask {name}` has no --lang"
        assert tuple(option.type.choices) == LANGUAGES and option.default == "vi", name


def test_output_and_errors_follow_the_option_and_not_the_shell(app, db):
    runner = app.test_cli_runner()
    english_shell = {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}
    assert runner.invoke(args=["checkout", "forget-keys"], env=english_shell).output == (
        "đã xoá 0 khoá chống trùng lặp hết hạn\n")
    assert runner.invoke(args=["checkout", "forget-keys", "--lang", "en"]).output == (
        "forgot 0 expired idempotency keys\n")

    short = ["users", "create", "--email", "lan@example.vn", "--password", "short"]
    refused = runner.invoke(args=short)
    assert refused.exit_code == 1 and "Mật khẩu cần ít nhất 8 ký tự" in refused.output
    refused = runner.invoke(args=[*short, "--lang", "en"])
    assert refused.exit_code == 1 and "The password needs at least 8 characters" in refused.output
    # The command's language ends with the command.
    assert gettext("Card (Stripe)") == "Thẻ (Stripe)"


def test_an_unknown_language_is_refused():
    from marketplace.cli import ocop_cli

    result = click.testing.CliRunner().invoke(ocop_cli, ["expire-certificates", "--lang", "fr"])
    assert result.exit_code == 2 and "'fr' is not one of 'vi', 'en'" in result.output
