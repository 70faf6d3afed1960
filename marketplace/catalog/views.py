"""Shop pages: home, catalogue, product, producer.

Views parse the query string, call `listing.browse()` and render. Query arguments
are validated here: a value that cannot be understood is ignored with a friendly
notice, never a 500.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import groupby

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ..cache import remember
from ..errors import NotFound
from ..extensions import db
from ..httpcache import catalog_conditional
from ..money import format_vnd_for
from ..storage import media_url
from ..timeutil import local_today
from .listing import (MAX_PER_PAGE, SORTS, BrowseParams, browse, category_tree, public_producer,
                      public_product)
from .models import OCOP_MIN_STARS, Category, Locality, Product

bp = Blueprint("catalog", __name__)

PER_PAGE = 24
FEATURED = 8
MAX_PAGE = 10_000
MAX_PRICE_VND = 10**12
MAX_QUERY_LENGTH = 200
EXPIRING_SOON_DAYS = 90
STAR_CHOICES = tuple(range(OCOP_MIN_STARS, 6))
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

SORT_LABELS = {
    "relevance": _l("Relevance"),
    "newest": _l("Newest"),
    "price_asc": _l("Price: low to high"),
    "price_desc": _l("Price: high to low"),
    "stars": _l("OCOP stars"),
    "bestselling": _l("Best selling"),
}
PRODUCER_KIND_LABELS = {
    "enterprise": _l("Enterprise"),
    "cooperative": _l("Cooperative"),
    "cooperative_group": _l("Cooperative group"),
    "household": _l("Household business"),
}
CERTIFICATE_LEVEL_LABELS = {"province": _l("Provincial level"), "national": _l("National level")}


# The six OCOP groups (seeds/categories.csv) each have a placeholder of their own, so a page of
# products without photos is not one identical picture repeated.
GROUP_PLACEHOLDERS = frozenset({"thuc-pham", "do-uong", "thao-duoc", "thu-cong-my-nghe", "sinh-vat-canh", "du-lich"})


def image_url(key: str | None, category: Category | None = None) -> str:
    """Public URL of an uploaded image (served by the media route), or the placeholder of the
    product's OCOP group (`category`), or the general one."""
    url = media_url(key)
    if url:
        return url
    group = category.group.slug if category is not None else None
    name = f"img/placeholder-{group}.svg" if group in GROUP_PLACEHOLDERS else "img/placeholder.svg"
    return url_for("static", filename=name)


@bp.record_once
def _template_globals(state) -> None:
    """Helpers every template (macros included) may use."""
    state.app.jinja_env.globals.update(image_url=image_url, producer_kind_labels=PRODUCER_KIND_LABELS,
                                       certificate_level_labels=CERTIFICATE_LEVEL_LABELS)


def sample_data_loaded() -> bool:
    """Whether the catalogue holds illustrative seed rows (cached per catalogue version)."""
    return remember("sample-data-loaded", "", lambda: db.session.scalar(
        sa.select(sa.exists().where(Product.sample.is_(True)))))


@bp.context_processor
def _sample_banner() -> dict:
    # A function: base.html asks only when it renders the banner's place.
    return {"sample_data_loaded": sample_data_loaded}


# ---------------------------------------------------------------- query arguments
@dataclass
class ParsedArgs:
    params: BrowseParams
    ignored: list[str] = field(default_factory=list)


_AMOUNT = re.compile(r"(\d+|\d{1,3}(?:[.,\s]\d{3})+)\s*(?:₫|đ|vnd)?", re.IGNORECASE)


def _amount(text: str) -> int:
    """'125000', '125.000', '125,000 ₫' -> 125000; anything else (1e9, -5, 12.5) is a ValueError."""
    match = _AMOUNT.fullmatch(text.strip())
    if not match:
        raise ValueError(text)
    value = int(re.sub(r"\D", "", match.group(1)))
    if value > MAX_PRICE_VND:
        raise ValueError(text)
    return value


def _one_of(allowed):
    def convert(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(raw)
        return raw

    return convert


def _flag(raw: str) -> bool:
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise ValueError(raw)


def _bounded_int(text: str, low: int, high: int) -> int:
    value = int(text.strip())
    if not low <= value <= high:
        raise ValueError(text)
    return value


def parse_browse_args(args: MultiDict, *, category_slugs: set[str], locality_slugs: set[str],
                      per_page: int = PER_PAGE) -> ParsedArgs:
    """Turn the catalogue's query string into BrowseParams; bad values are ignored and named."""
    params = BrowseParams(per_page=per_page)
    ignored: list[str] = []

    q = " ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH]
    params.q = q or None

    stars: set[int] = set()
    for raw in args.getlist("stars"):
        for part in raw.split(","):
            if not part.strip():
                continue
            try:
                stars.add(_bounded_int(part, STAR_CHOICES[0], STAR_CHOICES[-1]))
            except ValueError:
                ignored.append("stars")
    params.stars = sorted(stars)

    converters = {
        "category": _one_of(category_slugs),
        "locality": _one_of(locality_slugs),
        "producer": lambda raw: _bounded_int(raw, 1, 2**31 - 1),
        "page": lambda raw: _bounded_int(raw, 1, MAX_PAGE),
        "per_page": lambda raw: _bounded_int(raw, 1, MAX_PER_PAGE),
        "price_min": _amount,
        "price_max": _amount,
        "in_stock": _flag,
        "sort": _one_of(SORTS),
    }
    for name, convert in converters.items():
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                setattr(params, name, convert(raw))
            except ValueError:
                ignored.append(name)
    if params.price_min is not None and params.price_max is not None and params.price_min > params.price_max:
        params.price_min, params.price_max = params.price_max, params.price_min
    return ParsedArgs(params, list(dict.fromkeys(ignored)))


def page_url(endpoint: str, page: int, **values) -> str:
    """The current URL (all query arguments kept) at another page."""
    args = request.args.to_dict(flat=False)
    args.update(values)
    args["page"] = [str(page)]
    return url_for(endpoint, **args)


def _page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last and a window around the current page (None = gap)."""
    wanted = {1, pages, *range(max(1, page - around), min(pages, page + around) + 1)}
    numbers: list[int | None] = []
    for number in sorted(wanted):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def _url_without(**replace) -> str:
    """The catalogue URL with some query arguments replaced (a value of None drops it), from page 1."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    for name, values in replace.items():
        if values is None:
            args.pop(name, None)
        else:
            args[name] = values
    return url_for("catalog.products", **args)


def _active_filters(params: BrowseParams, categories: list[Category],
                    localities: list[Locality]) -> list[tuple[str, str]]:
    """(label, URL without that filter) for each filter in force, for the removable chips."""
    locale = str(get_locale() or "vi")
    chips: list[tuple[str, str]] = []
    for n in params.stars:
        chips.append((_("%(n)d stars", n=n), _url_without(stars=[str(s) for s in params.stars if s != n] or None)))
    if params.category:
        name = next(c.name(locale) for c in categories if c.slug == params.category)
        chips.append((name, _url_without(category=None)))
    if params.locality:
        place = next((loc.name for loc in localities if loc.slug == params.locality), None)
        region = next(loc.region for loc in localities if params.locality in (loc.slug, loc.region_slug))
        chips.append((place or _("All of %(region)s", region=region), _url_without(locality=None)))
    if params.price_min is not None or params.price_max is not None:
        low = format_vnd_for(params.price_min or 0, locale)
        label = (_("%(low)s to %(high)s", low=low, high=format_vnd_for(params.price_max, locale))
                 if params.price_max is not None else _("From %(low)s", low=low))
        chips.append((label, _url_without(price_min=None, price_max=None)))
    if params.in_stock is not None:
        chips.append((_("In stock only") if params.in_stock else _("Out of stock"), _url_without(in_stock=None)))
    return chips


# ---------------------------------------------------------------- pages
def _categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.position, Category.id)))


def _groups(categories: list[Category]) -> list[tuple[Category, list[Category]]]:
    children: dict[int, list[Category]] = {}
    for cat in categories:
        if cat.parent_id is not None:
            children.setdefault(cat.parent_id, []).append(cat)
    return [(cat, children.get(cat.id, [])) for cat in categories if cat.parent_id is None]


def _regions(localities: list[Locality]) -> list[tuple[tuple[str, str], list[Locality]]]:
    return [(key, list(items)) for key, items in groupby(localities, key=lambda loc: (loc.region_slug, loc.region))]


@bp.get("/")
@catalog_conditional(anonymous_only=True, cache_body=True)
def home():
    five = browse(BrowseParams(stars=[5], sort="bestselling", per_page=FEATURED), with_facets=False)
    four = browse(BrowseParams(stars=[4], sort="bestselling", per_page=FEATURED), with_facets=False)
    groups = category_tree()
    return render_template("shop/home.html", five=five, four=four, groups=groups,
                           total=sum(group["product_count"] for group in groups))


@bp.get("/products")
@catalog_conditional(anonymous_only=True, cache_body=True)
def products():
    categories = _categories()
    localities = list(db.session.scalars(sa.select(Locality).order_by(Locality.region, Locality.name)))
    slugs = {loc.slug for loc in localities} | {loc.region_slug for loc in localities}
    parsed = parse_browse_args(request.args, category_slugs={c.slug for c in categories}, locality_slugs=slugs)
    result = browse(parsed.params)
    return render_template(
        "shop/products.html", result=result, params=parsed.params, ignored=parsed.ignored,
        active_filters=_active_filters(parsed.params, categories, localities),
        groups=_groups(categories), categories={c.slug: c for c in categories}, regions=_regions(localities),
        star_choices=STAR_CHOICES, sort_labels=SORT_LABELS, page_numbers=_page_numbers(result.page, result.pages),
        page_url=lambda n: page_url("catalog.products", n),
    )


@bp.get("/products/<slug>")
@catalog_conditional(anonymous_only=True, cache_body=True)
def product(slug: str):
    try:
        item = public_product(slug)
    except NotFound:
        abort(404)
    certificate = item.certificate if item.ocop_stars else None
    days_left = (certificate.expires_on - local_today()).days if certificate else None
    more = browse(BrowseParams(producer=item.producer_id, sort="bestselling", per_page=5), with_facets=False)
    return render_template("shop/product.html", product=item, certificate=certificate, days_left=days_left,
                           expiring_soon=days_left is not None and days_left <= EXPIRING_SOON_DAYS,
                           more=[p for p in more.items if p.id != item.id][:4])


@bp.get("/producers/<slug>")
@catalog_conditional(anonymous_only=True, cache_body=True)
def producer(slug: str):
    try:
        maker = public_producer(slug)
    except NotFound:
        abort(404)
    try:
        page = _bounded_int(request.args.get("page", "1"), 1, MAX_PAGE)
    except ValueError:
        page = 1
    result = browse(BrowseParams(producer=maker.id, sort="bestselling", page=page, per_page=PER_PAGE),
                    with_facets=False)
    return render_template("shop/producer.html", producer=maker, result=result,
                           page_numbers=_page_numbers(result.page, result.pages),
                           page_url=lambda n: page_url("catalog.producer", n, slug=slug))


# ---------------------------------------------------------------- the site's legal pages
POLICIES = ("shipping", "returns", "privacy", "rules")


@bp.get("/about")
def about():
    """Who runs the site (Decree 52/2013/NĐ-CP, art. 29): name, address, registration, contact."""
    return render_template("shop/about.html")


@bp.get("/policies/<name>")
def policy(name: str):
    if name not in POLICIES:
        abort(404)
    return render_template(f"shop/policy_{name}.html")
