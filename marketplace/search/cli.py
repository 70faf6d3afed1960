"""`flask search ...`: rebuild and inspect the search index."""
from __future__ import annotations

import json
import math

import click
from flask.cli import with_appcontext
from flask_babel import gettext, ngettext

from ..cache import bump_version
from ..extensions import db
from .documents import count_public


@click.group("search")
def search_cli():
    """Product search index."""


@search_cli.command("reindex")
@click.option("--if-missing", is_flag=True, help="Only when no complete index exists yet.")
@with_appcontext
def reindex(if_missing: bool):
    """Rebuild the search index from the database."""
    from .backend import get_backend

    backend = get_backend()
    if if_missing and backend.is_complete():
        click.echo(ngettext("search index (%(backend)s) present: %(num)d product, nothing to do",
                            "search index (%(backend)s) present: %(num)d products, nothing to do",
                            backend.doc_count(), backend=backend.name))
        return
    total = count_public(db.session)
    db.session.rollback()  # end this read transaction: the rebuild reads in its own
    label = ngettext("Indexing %(num)d product (%(backend)s)", "Indexing %(num)d products (%(backend)s)", total,
                     backend=backend.name)
    with click.progressbar(length=total, label=label) as bar:
        count = backend.rebuild(progress=bar.update)
    bump_version()  # answers cached under the catalogue version (and phrase lists) follow the new index
    click.echo(ngettext("indexed %(num)d product", "indexed %(num)d products", count))


@search_cli.command("status")
@with_appcontext
def status():
    """Print the index health as JSON (what /readyz reports), with the memory it needs on PostgreSQL."""
    from .backend import get_backend

    backend = get_backend()
    report, memory = backend.health(), backend.memory()
    if memory:
        report["memory"] = memory
    click.echo(json.dumps(report, ensure_ascii=False))
    if memory and memory["tables_bytes"] > memory["shared_buffers_bytes"]:
        click.echo(gettext("Warning: the search tables (%(tables)d MB) are larger than PostgreSQL's shared_buffers "
                           "(%(buffers)d MB); searches that rank many products will read from the operating "
                           "system's cache and be slower. Set shared_buffers to at least %(tables)d MB.",
                           tables=_megabytes(memory["tables_bytes"]),
                           buffers=_megabytes(memory["shared_buffers_bytes"])), err=True)


def _megabytes(size: int) -> int:
    return math.ceil(size / 2**20)
