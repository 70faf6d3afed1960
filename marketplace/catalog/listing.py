"""Browsing the public catalogue: filters, sorts, facets and pagination.

Used by the shop pages and `GET /api/v1/products`. Free text (`q`) is answered by
the search backend, which returns ranked product ids; everything else is SQL.
The number of SQL queries does not depend on the page size.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, contains_eager, with_expression
from flask_babel import gettext

from ..cache import remember
from ..errors import NotFound
from ..extensions import db
from ..timeutil import local_today
from .models import Category, Certificate, Locality, Producer, Product

# The key in `app.extensions` under which the search package offers free-text search.
TEXT_SEARCH = "catalog.text_search"

SORTS = ("relevance", "newest", "price_asc", "price_desc", "stars", "bestselling")
MAX_PER_PAGE = 100


@dataclass
class BrowseParams:
    q: str | None = None
    stars: list[int] = field(default_factory=list)
    category: str | None = None
    locality: str | None = None
    producer: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    sort: str | None = None
    page: int = 1
    per_page: int = 20

    @property
    def effective_sort(self) -> str:
        if self.sort and self.sort in SORTS and not (self.sort == "relevance" and not self.q):
            return self.sort
        return "relevance" if self.q else "newest"


@dataclass
class BrowseResult:
    items: list[Product]
    total: int
    page: int
    per_page: int
    facets: dict
    suggestion: str | None = None  # "did you mean", from the search backend
    total_exact: bool = True  # False: a search's `total` and `facets` are estimates past its count limit

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _category_ids(slug: str) -> sa.Select:
    """Ids of the category with this slug and of its sub-groups."""
    # Never correlated: the facet query has `categories` in its own FROM.
    parent = sa.select(Category.id).where(Category.slug == slug).correlate(None).scalar_subquery()
    return sa.select(Category.id).where(sa.or_(Category.id == parent, Category.parent_id == parent)).correlate(None)


def _locality_ids(slug: str) -> sa.Select:
    """Ids of the commune/ward with this slug, or of every locality of the region with this slug."""
    return (sa.select(Locality.id).where(sa.or_(Locality.slug == slug, Locality.region_slug == slug))
            .correlate(None))


def _filtered(params: BrowseParams, ranked_ids: list[int] | None, today):
    """Conditions shared by the page query and the facet queries."""
    stars_expr = Certificate.live_stars_expr(today)
    conditions = [Product.public_clause()]
    if ranked_ids is not None:
        conditions.append(Product.id.in_(ranked_ids) if ranked_ids else sa.false())
    if params.stars:
        conditions.append(stars_expr.in_(params.stars))
    if params.category:
        conditions.append(Product.category_id.in_(_category_ids(params.category)))
    if params.locality:
        conditions.append(Producer.locality_id.in_(_locality_ids(params.locality)))
    if params.producer is not None:
        conditions.append(Product.producer_id == params.producer)
    if params.price_min is not None:
        conditions.append(Product.price_vnd >= params.price_min)
    if params.price_max is not None:
        conditions.append(Product.price_vnd <= params.price_max)
    if params.in_stock is True:
        conditions.append(Product.stock > 0)
    elif params.in_stock is False:
        conditions.append(Product.stock <= 0)
    return conditions, stars_expr


def _filter_key(params: BrowseParams) -> dict:
    return {name: getattr(params, name) for name in ("q", "stars", "category", "locality", "producer",
                                                      "price_min", "price_max", "in_stock")}


def _base(select: sa.Select) -> sa.Select:
    return (select.select_from(Product)
            .join(Producer, Product.producer_id == Producer.id)
            .outerjoin(Certificate, Certificate.product_id == Product.id))


def total_and_facets(conditions, stars_expr) -> dict:
    """The total and the facets (stars, categories with their groups, localities) of a
    result, from one grouped scan: one row per (stars, category, locality) combination
    present, summed here (at most one row per product, usually far fewer)."""
    group = aliased(Category)
    rows = db.session.execute(
        _base(sa.select(stars_expr.label("s"), Category.slug, group.slug, Locality.slug, sa.func.count()))
        .join(Category, Category.id == Product.category_id)
        .outerjoin(group, group.id == Category.parent_id)
        .join(Locality, Locality.id == Producer.locality_id)
        .where(*conditions)
        .group_by(stars_expr, Category.slug, group.slug, Locality.slug)
    ).all()
    stars = {"3": 0, "4": 0, "5": 0}
    category: dict[str, int] = {}
    locality: dict[str, int] = {}
    total = 0
    for value, category_slug, group_slug, locality_slug, count in rows:
        total += count
        if value is not None:
            stars[str(value)] = stars.get(str(value), 0) + count
        category[category_slug] = category.get(category_slug, 0) + count
        if group_slug is not None:
            category[group_slug] = category.get(group_slug, 0) + count
        locality[locality_slug] = locality.get(locality_slug, 0) + count
    return {"total": total, "facets": {"stars": stars, "category": category, "locality": locality}}


def _order_by(sort: str, stars_expr):
    if sort == "price_asc":
        return [Product.price_vnd.asc(), Product.id.asc()]
    if sort == "price_desc":
        return [Product.price_vnd.desc(), Product.id.desc()]
    if sort == "stars":
        return [sa.func.coalesce(stars_expr, 0).desc(), Product.sold_count.desc(), Product.id.desc()]
    if sort == "bestselling":
        return [Product.sold_count.desc(), Product.id.desc()]
    return [Product.created_at.desc(), Product.id.desc()]


def _load(ids: list[int]) -> list[Product]:
    """The public products with these ids, in this order (one query, plus images)."""
    if not ids:
        return []
    query = (_base(sa.select(Product)).where(Product.public_clause(), Product.id.in_(ids))
             .options(contains_eager(Product.producer), contains_eager(Product.certificate)))
    found = {product.id: product for product in db.session.scalars(query).unique()}
    return [found[i] for i in ids if i in found]


def _text_search(params: BrowseParams):
    """Free text: the search package ranks, filters, counts facets and picks the page; None
    when `params.q` holds no word to search for. Search sits above the catalogue (it indexes
    products and reuses this module's filters), so it registers this hook at start-up
    (`search.init_app`) instead of the catalogue importing it."""
    return current_app.extensions[TEXT_SEARCH](params)


def _search_result(hits, params: BrowseParams, with_facets: bool) -> BrowseResult:
    return BrowseResult(items=_load(hits.ids), total=hits.total, page=params.page, per_page=params.per_page,
                        facets=hits.facets if with_facets else {}, suggestion=hits.suggestion,
                        total_exact=hits.total_exact)


def browse(params: BrowseParams, ranked_ids: list[int] | None = None, suggestion: str | None = None,
           with_facets: bool = True) -> BrowseResult:
    """One page of public products.

    `params.q` is answered by the search backend (ranked, typo-tolerant, with a "did you
    mean" suggestion). `ranked_ids` (best first) restricts and orders by relevance in SQL.
    """
    today = local_today()
    per_page = max(1, min(params.per_page, MAX_PER_PAGE))
    page = max(1, params.page)
    if ranked_ids is None and params.q:
        paged = replace(params, page=page, per_page=per_page)
        hits = _text_search(paged)
        if hits is not None:
            return _search_result(hits, paged, with_facets)
    conditions, stars_expr = _filtered(params, ranked_ids, today)

    def counts() -> dict:
        if with_facets:
            return total_and_facets(conditions, stars_expr)
        total = db.session.scalar(_base(sa.select(sa.func.count(Product.id))).where(*conditions)) or 0
        return {"total": total, "facets": {}}

    # The total and the facets depend on the filters only (not on the page or the sort):
    # shared by every page and sort of a result, cached until the catalogue changes.
    counted = remember("browse-counts", {**_filter_key(params), "ids": ranked_ids, "facets": with_facets,
                                         "today": today}, counts)
    total = counted["total"]

    # Two steps (a "late row lookup"): the ids of the page first, from narrow rows that an
    # index on the sort key can deliver in order, then the full rows of just those ids.
    # Sorting every wide joined row to keep 20 was the listing's main cost (see README,
    # Performance).
    sort = params.effective_sort
    ids_query = _base(sa.select(Product.id)).where(*conditions)
    if sort == "relevance" and ranked_ids:
        rank = sa.case({pid: pos for pos, pid in enumerate(ranked_ids)}, value=Product.id)
        ids_query = ids_query.order_by(rank, Product.id)
    else:
        ids_query = ids_query.order_by(*_order_by(sort, stars_expr))
    page_ids = list(db.session.scalars(ids_query.limit(per_page).offset((page - 1) * per_page)))
    items: list[Product] = []
    if page_ids:
        rows = db.session.scalars(
            _base(sa.select(Product)).where(Product.id.in_(page_ids))
            .options(contains_eager(Product.producer), contains_eager(Product.certificate))).unique()
        by_id = {product.id: product for product in rows}
        items = [by_id[pid] for pid in page_ids if pid in by_id]
    return BrowseResult(items=items, total=total, page=page, per_page=per_page, facets=counted["facets"],
                        suggestion=suggestion)


# --- single public objects and directories (shop pages and the API) --------------------

MAX_ID = 2**31 - 1  # larger numbers cannot be ids (and would overflow SQLite's integers)


def _by_id_or_slug(query: sa.Select, model, ref: str | int):
    """The first row of `query` whose id (when `ref` is a number) or else slug is `ref`."""
    ref = str(ref).strip()
    conditions = [model.slug == ref]
    # Length first: int() refuses more than 4,300 digits with a ValueError.
    if ref.isdigit() and len(ref) <= len(str(MAX_ID)) and int(ref) <= MAX_ID:
        conditions.insert(0, model.id == int(ref))  # an id wins over a slug made of digits
    for condition in conditions:
        found = db.session.scalar(query.where(condition))
        if found is not None:
            return found
    return None


def public_product(ref: str | int) -> Product:
    """A product shoppers may see, by id or slug. NotFound otherwise (drafts, archived,
    unapproved or suspended producers included)."""
    found = _by_id_or_slug(sa.select(Product).join(Producer, Product.producer_id == Producer.id)
                           .where(Product.public_clause()), Product, ref)
    if found is None:
        raise NotFound(gettext("Product not found"))
    return found


def _public_product_count():
    """Correlated subquery: the public products of the outer Producer row."""
    return (sa.select(sa.func.count(Product.id))
            .where(Product.producer_id == Producer.id, Product.status == "active")
            .correlate(Producer).scalar_subquery())


def public_producers(kind: str | None = None, locality: str | None = None) -> sa.Select:
    """Producers that may sell, by name, each with `product_count` loaded."""
    query = (sa.select(Producer).where(Producer.selling_clause())
             .options(with_expression(Producer.product_count, _public_product_count()))
             .order_by(Producer.name, Producer.id))
    if kind:
        query = query.where(Producer.kind == kind)
    if locality:
        query = query.where(Producer.locality_id.in_(_locality_ids(locality)))
    return query


def public_producer(ref: str | int) -> Producer:
    """A producer that may sell, by id or slug, with `product_count` loaded. NotFound otherwise."""
    found = _by_id_or_slug(sa.select(Producer).where(Producer.selling_clause())
                           .options(with_expression(Producer.product_count, _public_product_count())),
                           Producer, ref)
    if found is None:
        raise NotFound(gettext("Producer not found"))
    return found


def category_tree() -> list[dict]:
    """The OCOP groups in order, each with its sub-groups and counts of public products
    (a group's count includes its sub-groups)."""
    categories = db.session.scalars(sa.select(Category).order_by(Category.position, Category.id)).all()
    counts = dict(db.session.execute(
        sa.select(Product.category_id, sa.func.count(Product.id))
        .join(Producer, Product.producer_id == Producer.id)
        .where(Product.public_clause()).group_by(Product.category_id)).all())
    nodes = {c.id: {"id": c.id, "slug": c.slug, "name_vi": c.name_vi, "name_en": c.name_en,
                    "product_count": counts.get(c.id, 0), "children": []} for c in categories}
    groups = []
    for c in categories:
        if c.parent_id is None:
            groups.append(nodes[c.id])
        elif c.parent_id in nodes:
            parent = nodes[c.parent_id]
            parent["children"].append(nodes[c.id])
            parent["product_count"] += nodes[c.id]["product_count"]
    return groups
