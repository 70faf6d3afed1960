"""Loading reference data and the seed catalogue from the CSV files in seeds/.

`load_seed()` reads seeds/localities.csv, seeds/categories.csv and a catalogue CSV
(seeds/ocop_products.csv by default; one row per product, producer columns repeated),
validates every row of all three first, and then writes everything in ONE transaction:

- any malformed row: nothing is written; `SeedError.errors` lists every problem with
  its file and line number;
- idempotent: localities and categories are matched on slug (names kept up to date),
  producers on tax code (on slug when the row gives none), products on slug and
  certificates on certificate number.
  Rows already present are left untouched (a seller may have changed prices or stock
  since), so a second run writes nothing at all.

New producers are approved and new products active: the file stands for the province's
register of certified products. The `source` column says where a row comes from (a URL or
publication, listed in seeds/SOURCES.md) or `sample`: illustrative data, flagged on the
product and its producer and shown as such by the app.
"""
from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from ..accounts.services import normalise_email
from ..errors import ValidationFailed
from ..extensions import db
from ..timeutil import utcnow
from ..validators import normalise_phone, slugify, validate_tax_code
from . import rules
from .models import PRODUCER_KINDS, Category, Certificate, Locality, Producer, Product

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
LOCALITIES_CSV = SEEDS_DIR / "localities.csv"
CATEGORIES_CSV = SEEDS_DIR / "categories.csv"
CATALOGUE_CSV = SEEDS_DIR / "ocop_products.csv"

LOCALITY_KINDS = ("ward", "commune", "special_zone")
LOCALITY_COLUMNS = ("slug", "name", "kind", "region")
CATEGORY_COLUMNS = ("slug", "parent_slug", "position", "name_vi", "name_en")
CATALOGUE_COLUMNS = (
    "product_slug", "product_name", "category", "description", "unit", "price_vnd", "stock",
    "stars", "certificate_no", "certificate_level", "issued_on", "expires_on", "verified",
    "producer_slug", "producer_name", "producer_kind", "producer_tax_code", "producer_locality",
    "producer_address", "producer_phone", "producer_email", "producer_description", "source",
)
# Columns a catalogue file must have; the others may be left out (defaults apply).
CATALOGUE_REQUIRED = (
    "product_name", "category", "unit", "price_vnd", "stock", "stars", "certificate_no", "issued_on",
    "producer_name", "producer_kind", "producer_locality",
)
SAMPLE_SOURCE = "sample"
TRUE_WORDS = {"true", "1", "yes", "y", "có", "x"}
FALSE_WORDS = {"false", "0", "no", "n", "không", ""}

# A progress wrapper: given the items and a label, a context manager yielding an iterable
# over the same items (click.progressbar fits).
Progress = Callable[[list, str], AbstractContextManager[Iterable]]


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SeedError(ValidationFailed):
    code = "seed_invalid"

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(
            _("%(count)s error(s) in the seed files, nothing was written", count=len(errors)),
            fields={"rows": [str(e) for e in errors]},
        )


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


@dataclass
class LocalityRow:
    line: int
    slug: str
    name: str
    kind: str
    region: str


@dataclass
class CategoryRow:
    line: int
    slug: str
    parent_slug: str | None
    position: int
    name_vi: str
    name_en: str


@dataclass
class ProducerRow:
    line: int
    slug: str
    name: str
    kind: str
    tax_code: str | None
    locality: str
    address: str
    phone: str | None
    email: str | None
    description: str
    sample: bool = False

    @property
    def key(self) -> str:
        """What identifies the producer: its tax code, else its slug."""
        return self.tax_code or f"slug:{self.slug}"


@dataclass
class ProductRow:
    line: int
    slug: str
    name: str
    category: str
    description: str
    unit: str
    price_vnd: int
    stock: int
    stars: int
    certificate_no: str
    level: str
    issued_on: date
    expires_on: date
    verified: bool
    producer_key: str
    sample: bool = False
    source: str | None = None


# ---------------------------------------------------------------- reading and validation

class _Rows:
    """Reads one CSV file and collects its problems as RowErrors (with line numbers)."""

    def __init__(self, path: Path, errors: list[RowError]):
        self.path = Path(path)
        self.name = self.path.name
        self.errors = errors

    def error(self, line: int, message: str) -> None:
        self.errors.append(RowError(self.name, line, message))

    def read(self, required: Iterable[str], known: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (line number where the record starts, row with stripped values)."""
        try:
            handle = open(self.path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            self.error(0, _("cannot open the file: %(reason)s", reason=exc.strerror))
            return
        with handle:
            reader = csv.DictReader(handle)
            try:
                header = reader.fieldnames or []
            except (UnicodeDecodeError, csv.Error) as exc:
                self.error(1, _("unreadable header: %(reason)s", reason=exc))
                return
            missing = [c for c in required if c not in header]
            if missing:
                self.error(1, _("missing column(s): %(columns)s", columns=", ".join(missing)))
                return
            unknown = [c for c in header if c not in known]
            if unknown:
                self.error(1, _("unknown column(s): %(columns)s", columns=", ".join(unknown)))
                return
            previous_end = reader.line_num
            try:
                for row in reader:
                    line = previous_end + 1
                    previous_end = reader.line_num
                    if None in row:
                        self.error(line, _("%(extra)s value(s) more than the %(columns)s columns",
                                           extra=len(row[None]), columns=len(header)))
                        continue
                    values = {k: (v or "").strip() for k, v in row.items()}
                    if not any(values.values()):
                        continue  # blank line
                    yield line, values
            except (UnicodeDecodeError, csv.Error) as exc:
                self.error(previous_end + 1, _("unreadable line: %(reason)s", reason=exc))


class _Checker:
    """Field checks for one row: each failure becomes one RowError naming the column."""

    def __init__(self, rows: _Rows, line: int, values: dict[str, str]):
        self.rows, self.line, self.values, self.ok = rows, line, values, True

    def fail(self, column: str, message: str) -> None:
        self.ok = False
        self.rows.error(self.line, f"{column}: {message} (got {self.values.get(column, '')!r})")

    def text(self, column: str, max_length: int, required: bool = True) -> str:
        value = self.values.get(column, "")
        if required and not value:
            self.fail(column, _("required"))
        elif len(value) > max_length:
            self.fail(column, _("longer than %(count)s characters", count=max_length))
        return value

    def choice(self, column: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.values.get(column, "") or (default or "")
        if value not in choices:
            self.fail(column, _("must be one of: %(choices)s", choices=", ".join(choices)))
        return value

    def integer(self, column: str, low: int = 0, high: int | None = None, limit: int = 2_000_000_000) -> int:
        """A whole number in [low, high]; `limit` guards the column's size without cluttering the message."""
        value = self.values.get(column, "")
        number = int(value) if value.isascii() and value.isdigit() else None
        if number is None or number < low or (high is not None and number > high):
            bound = f"{low}–{high}" if high is not None else f"≥ {low}"
            self.fail(column, _("must be a whole number %(bound)s", bound=bound))
            return low
        if number > limit:
            self.fail(column, _("too large"))
            return low
        return number

    def day(self, column: str, required: bool = True) -> date | None:
        value = self.values.get(column, "")
        if not value and not required:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(column, _("must be a date YYYY-MM-DD"))
            return None

    def flag(self, column: str, default: bool) -> bool:
        value = self.values.get(column, "").lower()
        if column not in self.values or value == "":
            return default
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        self.fail(column, _("must be true or false"))
        return default

    def slug(self, column: str, fallback: str, max_length: int) -> str:
        value = self.values.get(column, "")
        if not value:
            return slugify(fallback, max_length)
        if value != slugify(value, max_length):
            self.fail(column, _("only a-z, 0-9 and hyphens"))
        return value

    def rule(self, column: str, check: Callable[[str], object]):
        """The cell through one of the product rules (catalog/rules.py); None when it breaks it."""
        try:
            return check(self.values.get(column, ""))
        except rules.RuleError as exc:
            self.fail(column, str(exc))
            return None

    def checked(self, column: str, check: Callable[[str], str], required: bool = True) -> str | None:
        value = self.values.get(column, "")
        if not value:
            if required:
                self.fail(column, _("required"))
            return None
        try:
            return check(value)
        except ValidationFailed as exc:
            self.fail(column, exc.message)
        except ValueError as exc:
            self.fail(column, str(exc))
        return None


def read_localities(path: Path, errors: list[RowError]) -> list[LocalityRow]:
    rows = _Rows(path, errors)
    out: dict[str, LocalityRow] = {}
    for line, values in rows.read(LOCALITY_COLUMNS, LOCALITY_COLUMNS):
        c = _Checker(rows, line, values)
        item = LocalityRow(line, c.slug("slug", values["name"], 80), c.text("name", 120),
                           c.choice("kind", LOCALITY_KINDS), c.text("region", 80))
        if item.slug in out:
            c.fail("slug", _("duplicates line %(line)s", line=out[item.slug].line))
        if c.ok:
            out[item.slug] = item
    return list(out.values())


def read_categories(path: Path, errors: list[RowError]) -> list[CategoryRow]:
    rows = _Rows(path, errors)
    out: dict[str, CategoryRow] = {}
    for line, values in rows.read(CATEGORY_COLUMNS, CATEGORY_COLUMNS):
        c = _Checker(rows, line, values)
        item = CategoryRow(line, c.slug("slug", values["name_en"], 80), values["parent_slug"] or None,
                           c.integer("position", 0, 10_000), c.text("name_vi", 120), c.text("name_en", 120))
        if item.slug in out:
            c.fail("slug", _("duplicates line %(line)s", line=out[item.slug].line))
        if item.parent_slug and item.parent_slug not in out:
            c.fail("parent_slug", _("the parent group must come on an earlier line"))
        if c.ok:
            out[item.slug] = item
    return list(out.values())


def read_catalogue(path: Path, errors: list[RowError], locality_slugs: set[str],
                   category_slugs: set[str]) -> tuple[list[ProducerRow], list[ProductRow]]:
    rows = _Rows(path, errors)
    producers: dict[str, ProducerRow] = {}
    products: dict[str, ProductRow] = {}
    certificates: dict[str, int] = {}
    producer_slugs: dict[str, ProducerRow] = {}
    for line, values in rows.read(CATALOGUE_REQUIRED, CATALOGUE_COLUMNS):
        c = _Checker(rows, line, values)
        producer = ProducerRow(
            line=line,
            slug=c.slug("producer_slug", values.get("producer_name", ""), 160),
            name=c.text("producer_name", 200),
            kind=c.choice("producer_kind", PRODUCER_KINDS),
            tax_code=c.checked("producer_tax_code", validate_tax_code, required=False),
            locality=c.text("producer_locality", 80),
            address=c.text("producer_address", 255, required=False),
            phone=c.checked("producer_phone", normalise_phone, required=False),
            email=c.checked("producer_email", normalise_email, required=False),
            description=values.get("producer_description", ""),
        )
        source = c.text("source", 500, required=False) or None
        producer.sample = source == SAMPLE_SOURCE
        if producer.locality and producer.locality not in locality_slugs:
            c.fail("producer_locality", _("not a known locality slug"))
        # The listing and its certificate follow the seller's rules (catalog/rules.py).
        stars = c.rule("stars", rules.check_stars)
        issued_on = c.rule("issued_on", rules.check_issued_on)
        expires_on = c.rule("expires_on", lambda raw: rules.check_expires_on(raw, issued_on))
        name = c.rule("product_name", rules.check_name)
        product = ProductRow(
            line=line,
            slug=c.slug("product_slug", name or "", 200),
            name=name,
            category=c.text("category", 80),
            description=c.rule("description", rules.check_description),
            unit=c.rule("unit", rules.check_unit),
            price_vnd=c.rule("price_vnd", rules.check_price),
            stock=c.rule("stock", rules.check_stock),
            stars=stars,
            certificate_no=c.rule("certificate_no", rules.check_certificate_no),
            level=c.rule("certificate_level", lambda raw: rules.check_level(raw, stars)),
            issued_on=issued_on or date.min,
            expires_on=expires_on or date.min,
            verified=c.flag("verified", True),
            producer_key=producer.key,
            sample=producer.sample,
            source=None if producer.sample else source,
        )
        if product.category and product.category not in category_slugs:
            c.fail("category", _("not a known category slug"))
        if product.slug in products:
            c.fail("product_slug", _("duplicates line %(line)s", line=products[product.slug].line))
        if product.certificate_no in certificates:
            c.fail("certificate_no", _("duplicates line %(line)s", line=certificates[product.certificate_no]))
        known = producers.get(producer.key)
        if known is not None:
            for attr in ("slug", "name", "kind", "locality", "sample"):
                if getattr(known, attr) != getattr(producer, attr):
                    column = "source" if attr == "sample" else f"producer_{attr}"
                    c.fail(column, _("differs from line %(line)s for the same producer", line=known.line))
        elif producer_slugs.get(producer.slug) is not None:
            other = producer_slugs[producer.slug]
            c.fail("producer_slug", _("line %(line)s uses it for another tax code", line=other.line))
        if c.ok:
            products[product.slug] = product
            certificates[product.certificate_no] = line
            if known is None:
                producers[producer.key] = producer
                producer_slugs[producer.slug] = producer
    return list(producers.values()), list(products.values())


# ---------------------------------------------------------------- writing

def _no_progress(items: list, label: str) -> AbstractContextManager[Iterable]:
    return nullcontext(items)


def _sync(obj, values: dict) -> bool:
    """Set the attributes that differ; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def load_seed(catalogue: Path | str | None = None, *, localities: Path | str | None = None,
              categories: Path | str | None = None, progress: Progress | None = None) -> SeedReport:
    """Validate all three files, then load them in one transaction (see the module docstring)."""
    progress = progress or _no_progress
    catalogue_path = Path(catalogue or CATALOGUE_CSV)
    errors: list[RowError] = []
    locality_rows = read_localities(Path(localities or LOCALITIES_CSV), errors)
    category_rows = read_categories(Path(categories or CATEGORIES_CSV), errors)

    session = db.session
    db_localities = {loc.slug: loc for loc in session.scalars(sa.select(Locality))}
    db_categories = {cat.slug: cat for cat in session.scalars(sa.select(Category))}
    producer_rows, product_rows = read_catalogue(
        catalogue_path, errors, {r.slug for r in locality_rows} | set(db_localities),
        {r.slug for r in category_rows} | set(db_categories))

    found = list(session.scalars(sa.select(Producer).where(
        sa.or_(Producer.tax_code.in_([r.tax_code for r in producer_rows if r.tax_code]),
               Producer.slug.in_([r.slug for r in producer_rows])))))
    db_producer_slugs = {p.slug: p for p in found}
    db_producers = {key: p for p in found for key in (p.tax_code, f"slug:{p.slug}") if key}
    existing_products = dict(session.execute(sa.select(Product.slug, Product.id).where(
        Product.slug.in_([r.slug for r in product_rows]))).all())
    existing_certificates = dict(session.execute(
        sa.select(Certificate.certificate_no, Product.slug).join(Product, Certificate.product_id == Product.id)
        .where(Certificate.certificate_no.in_([r.certificate_no for r in product_rows]))).all())

    # Conflicts with what the database already holds (still before any write).
    catalogue_name = catalogue_path.name
    for r in producer_rows:
        holder = db_producer_slugs.get(r.slug)
        if holder is not None and r.tax_code and holder.tax_code != r.tax_code:
            errors.append(RowError(catalogue_name, r.line, "producer_slug: " + _(
                "already used by the producer with tax code %(tax_code)s (got %(slug)r)",
                tax_code=holder.tax_code, slug=r.slug)))
    for r in product_rows:
        holder_slug = existing_certificates.get(r.certificate_no)
        if holder_slug is not None and holder_slug != r.slug:
            errors.append(RowError(catalogue_name, r.line, "certificate_no: " + _(
                "already belongs to product %(slug)r (got %(number)r)", slug=holder_slug, number=r.certificate_no)))
    if errors:
        session.rollback()
        order = {LOCALITIES_CSV.name: 0, CATEGORIES_CSV.name: 1}
        raise SeedError(sorted(errors, key=lambda e: (order.get(e.file, 2), e.file, e.line)))

    report = SeedReport()
    try:
        _write_localities(locality_rows, db_localities, report)
        _write_categories(category_rows, db_categories, report)
        session.flush()
        _write_catalogue(producer_rows, product_rows, db_localities, db_categories, db_producers,
                         existing_products, report, progress)
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        reason = f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"
        raise SeedError([RowError(catalogue_name, 0, _("the database refused the data: %(reason)s",
                                                       reason=reason))]) from exc
    except BaseException:
        session.rollback()
        raise
    return report


def _write_localities(rows: list[LocalityRow], existing: dict[str, Locality], report: SeedReport) -> None:
    created = updated = 0
    for r in rows:
        values = {"name": r.name, "kind": r.kind, "region": r.region, "region_slug": slugify(r.region)}
        loc = existing.get(r.slug)
        if loc is None:
            existing[r.slug] = loc = Locality(slug=r.slug, **values)
            db.session.add(loc)
            created += 1
        elif _sync(loc, values):
            updated += 1
    report.created["localities"], report.updated["localities"] = created, updated
    report.existing["localities"] = len(rows) - created


def _write_categories(rows: list[CategoryRow], existing: dict[str, Category], report: SeedReport) -> None:
    created = updated = 0
    for r in rows:  # parents come first (checked while reading)
        parent_id = existing[r.parent_slug].id if r.parent_slug else None
        values = {"name_vi": r.name_vi, "name_en": r.name_en, "position": r.position, "parent_id": parent_id}
        cat = existing.get(r.slug)
        if cat is None:
            existing[r.slug] = cat = Category(slug=r.slug, **values)
            db.session.add(cat)
            db.session.flush()  # its id, for the sub-groups that follow
            created += 1
        elif _sync(cat, values):
            updated += 1
    report.created["categories"], report.updated["categories"] = created, updated
    report.existing["categories"] = len(rows) - created


def _write_catalogue(producer_rows: list[ProducerRow], product_rows: list[ProductRow],
                     localities: dict[str, Locality], categories: dict[str, Category],
                     producers: dict[str, Producer], existing_products: dict[str, int],
                     report: SeedReport, progress: Progress) -> None:
    now = utcnow()
    new_producers = [r for r in producer_rows if r.key not in producers]
    for r in new_producers:
        producer = Producer(slug=r.slug, name=r.name, kind=r.kind, tax_code=r.tax_code,
                            locality_id=localities[r.locality].id, address=r.address, phone=r.phone,
                            email=r.email, description=r.description, approved=True, approved_at=now,
                            sample=r.sample)
        db.session.add(producer)
        producers[r.key] = producer
    report.created["producers"] = len(new_producers)
    report.existing["producers"] = len(producer_rows) - len(new_producers)
    if new_producers:
        db.session.flush()

    new_products = [r for r in product_rows if r.slug not in existing_products]
    report.created["products"] = report.created["certificates"] = len(new_products)
    report.created["sample products"] = sum(r.sample for r in new_products)
    report.existing["products"] = len(product_rows) - len(new_products)
    if not new_products:
        return
    with progress(new_products, _("Products")) as bar:
        for r in bar:
            product = Product(slug=r.slug, name=r.name, description=r.description, unit=r.unit,
                              price_vnd=r.price_vnd, stock=r.stock, status="active", sample=r.sample,
                              source=r.source, category_id=categories[r.category].id,
                              producer_id=producers[r.producer_key].id)
            product.certificate = Certificate(
                stars=r.stars, certificate_no=r.certificate_no, level=r.level, issued_on=r.issued_on,
                expires_on=r.expires_on, verified=r.verified, verified_at=now if r.verified else None)
            db.session.add(product)
    db.session.flush()
