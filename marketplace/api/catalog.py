"""Catalogue API: products (browse, filters, facets), categories, producers."""
from __future__ import annotations

from ..catalog.listing import (BrowseParams, browse, category_tree, public_producer, public_producers,
                               public_product)
from ..catalog.schemas import (CategoryTreeSchema, ProducerPageSchema, ProducerQuerySchema, ProducerSchema,
                               ProductPageSchema, ProductQuerySchema, ProductSchema)
from ..httpcache import catalog_conditional
from .common import MAX_PER_PAGE, ApiBlueprint, link_to, page_body, paginate

blp = ApiBlueprint("Catalogue", __name__, description="OCOP products, categories and producers (public).")


@blp.route("/products", methods=["GET"])
@catalog_conditional(cache_body=True)  # before parsing: a 304 or a cached body skips it
@blp.arguments(ProductQuerySchema(), location="query", as_kwargs=False)
@blp.response(200, ProductPageSchema)
@blp.links(200, GetProduct=link_to("GET", "/products/{ref}", ref="$response.body#/items/0/id"))
@blp.alt_response(304, description="Not modified since the ETag / Last-Modified sent")
def list_products(args):
    """Browse and search public products

    Filters combine with AND. `facets` counts stars, categories and localities over the
    whole result set (not only the page). `total_exact` is false when a free-text search
    matched more products than the search backend counts one by one: `total` and `facets`
    are then estimates (above the limit, "more than 1,000 products").
    """
    with_facets = args.pop("facets")
    result = browse(BrowseParams(**args), with_facets=with_facets)
    return page_body(result.items, result.total, result.page, result.per_page,
                     facets=result.facets if with_facets else None, suggestion=result.suggestion,
                     total_exact=result.total_exact)


@blp.route("/products/<ref>", methods=["GET"])
@catalog_conditional(cache_body=True)  # before parsing: a 304 or a cached body skips it
@blp.response(200, ProductSchema)
@blp.errors(404)
@blp.alt_response(304, description="Not modified since the ETag / Last-Modified sent")
def get_product(ref):
    """One public product, by id or slug"""
    return public_product(ref)


@blp.route("/categories", methods=["GET"])
@catalog_conditional(cache_body=True)  # before parsing: a 304 or a cached body skips it
@blp.response(200, CategoryTreeSchema)
@blp.alt_response(304, description="Not modified since the ETag / Last-Modified sent")
def list_categories():
    """OCOP product groups and their sub-groups, with counts of public products"""
    return {"items": category_tree()}


@blp.route("/producers", methods=["GET"])
@catalog_conditional(cache_body=True)  # before parsing: a 304 or a cached body skips it
@blp.arguments(ProducerQuerySchema(), location="query", as_kwargs=False)
@blp.response(200, ProducerPageSchema)
@blp.links(200, GetProducer=link_to("GET", "/producers/{ref}", ref="$response.body#/items/0/id"))
@blp.alt_response(304, description="Not modified since the ETag / Last-Modified sent")
def list_producers(args):
    """Producer organisations that sell on the marketplace, by name"""
    return paginate(public_producers(kind=args.get("kind"), locality=args.get("locality")),
                    args["page"], args["per_page"])


@blp.route("/producers/<ref>", methods=["GET"])
@catalog_conditional(cache_body=True)  # before parsing: a 304 or a cached body skips it
@blp.response(200, ProducerSchema)
@blp.errors(404)
@blp.alt_response(304, description="Not modified since the ETag / Last-Modified sent")
def get_producer(ref):
    """One producer organisation, by id or slug, with its public products"""
    producer = public_producer(ref)
    products = browse(BrowseParams(producer=producer.id, per_page=MAX_PER_PAGE), with_facets=False).items
    return {**ProducerSchema(exclude=("products",)).dump(producer), "products": products}
