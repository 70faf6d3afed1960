"""API schemas of the public catalogue (reused by cart, orders, seller and search APIs)."""
from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext

from ..schema_fields import MAX_PER_PAGE, PageSchema, PaginationQuerySchema, Vnd, int_param, page_schema
from .listing import MAX_ID, SORTS
from .models import PRODUCER_KINDS
from .urls import media_url, product_page_url

MAX_PRICE_VND = 10**12
PUBLIC_STARS = (3, 4, 5)


class CategoryRefSchema(ma.Schema):
    slug = ma.fields.String()
    name_vi = ma.fields.String()
    name_en = ma.fields.String()


class CategoryNodeSchema(CategoryRefSchema):
    id = ma.fields.Integer()
    product_count = ma.fields.Integer(metadata={"description": "Public products, sub-groups included"})


class CategoryGroupSchema(CategoryNodeSchema):
    """An OCOP product group (Decision 148/QĐ-TTg) with its sub-groups."""

    children = ma.fields.List(ma.fields.Nested(CategoryNodeSchema))


class CategoryTreeSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CategoryGroupSchema), required=True)


class LocalitySchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String(metadata={"example": "Ba Chẽ"})
    region = ma.fields.String(metadata={"description": "Former district/city, for reporting"})
    region_slug = ma.fields.String()


class ProducerRefSchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(PRODUCER_KINDS)})


class ProductSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    slug = ma.fields.String()
    name = ma.fields.String()
    price_vnd = Vnd()
    unit = ma.fields.String(metadata={"example": "hộp 500 g"})
    ocop_stars = ma.fields.Integer(allow_none=True, metadata={
        "description": "Only while the product holds a verified, unexpired OCOP certificate (3-5); else null"})
    category = ma.fields.Nested(CategoryRefSchema)
    locality = ma.fields.Nested(LocalitySchema, attribute="producer.locality")
    producer = ma.fields.Nested(ProducerRefSchema)
    image_url = ma.fields.Method("first_image_url", metadata={"type": "string", "nullable": True})
    in_stock = ma.fields.Boolean()
    for_sale = ma.fields.Boolean(metadata={
        "description": "Can be bought: false while the OCOP certificate is missing, unverified or expired"})
    sample = ma.fields.Boolean(metadata={
        "description": "Illustrative seed data, not a product of the public record (seeds/SOURCES.md)"})

    def first_image_url(self, product) -> str | None:
        return media_url(product.images[0].path) if product.images else None


class CertificationSchema(ma.Schema):
    stars = ma.fields.Integer()
    certificate_no = ma.fields.String()
    level = ma.fields.String(metadata={"enum": ["province", "national"]})
    issued_on = ma.fields.Date()
    expires_on = ma.fields.Date()
    verified = ma.fields.Boolean()
    status = ma.fields.String(metadata={"enum": ["pending", "verified", "expired", "rejected"]})


class ProductSchema(ProductSummarySchema):
    description = ma.fields.String()
    stock = ma.fields.Integer()
    images = ma.fields.Method("image_urls", metadata={"type": "array", "items": {"type": "string"}})
    certification = ma.fields.Nested(CertificationSchema, attribute="certificate", allow_none=True)
    traceability_url = ma.fields.Method("page_url", metadata={
        "type": "string", "description": "The product's public page"})
    source = ma.fields.String(allow_none=True, metadata={
        "description": "Where the product's OCOP rating is published (URL or publication); null for sample data"})

    def image_urls(self, product) -> list[str]:
        return [media_url(image.path) for image in product.images]

    def page_url(self, product) -> str:
        return product_page_url(product)


class FacetsSchema(ma.Schema):
    stars = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                           metadata={"example": {"3": 12, "4": 5, "5": 1}})
    category = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                              metadata={"description": "slug -> count; a group counts its sub-groups"})
    locality = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ProductPageBase(PageSchema):
    facets = ma.fields.Nested(FacetsSchema, allow_none=True,
                              metadata={"description": "Counted over the whole result set; null with facets=false"})
    suggestion = ma.fields.String(allow_none=True, metadata={"description": "Did you mean (free-text search)"})
    total_exact = ma.fields.Boolean(metadata={
        "description": "False: `total` and `facets` are estimates (a free-text search with more matches than "
                       "the search backend counts exactly; `total` is then above that limit)"})


ProductPageSchema = page_schema(ProductSummarySchema, base=ProductPageBase)


class StarsParam(ma.fields.String):
    """`4,5` -> [4, 5]."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        stars = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            if part not in {str(s) for s in PUBLIC_STARS}:  # int() of 5,000 digits raises ValueError
                raise ma.ValidationError(lazy_gettext("OCOP stars are 3, 4 or 5 (e.g. 4,5)"))
            stars.append(int(part))
        return sorted(set(stars))


class ProductQuerySchema(PaginationQuerySchema):
    q = ma.fields.String(validate=ma.validate.Length(max=200), metadata={
        "description": "Free text, accent-insensitive"})
    stars = StarsParam(metadata={"description": "Comma list of OCOP stars, e.g. 4,5", "example": "4,5"})
    category = ma.fields.String(metadata={"description": "Category slug; a group includes its sub-groups"})
    locality = ma.fields.String(metadata={"description": "Commune/ward slug or region slug"})
    producer = int_param("producer", minimum=1, maximum=MAX_ID, metadata={"description": "Producer id"})
    price_min = int_param("price_min", minimum=0, maximum=MAX_PRICE_VND, metadata={"description": "VND"})
    price_max = int_param("price_max", minimum=0, maximum=MAX_PRICE_VND, metadata={"description": "VND"})
    in_stock = ma.fields.Boolean(error_messages={
        "invalid": lazy_gettext("in_stock must be true or false")})
    sort = ma.fields.String(validate=ma.validate.OneOf(
        SORTS, error=lazy_gettext("sort must be one of: {choices}")), metadata={
        "description": "Default: relevance when q is given, else newest"})
    facets = ma.fields.Boolean(load_default=True, metadata={
        "description": "Count stars, categories and localities over the whole result set"})

    @ma.validates_schema(skip_on_field_errors=True)
    def _price_range(self, data, **kwargs):
        if data.get("price_min") is not None and data.get("price_max") is not None \
                and data["price_min"] > data["price_max"]:
            raise ma.ValidationError(lazy_gettext("price_max must not be below price_min"), field_name="price_max")


class ProducerSummarySchema(ProducerRefSchema):
    locality = ma.fields.Nested(LocalitySchema)
    address = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    product_count = ma.fields.Integer(metadata={"description": "Public products"})
    sample = ma.fields.Boolean(metadata={
        "description": "Illustrative seed data, not a producer of the public record (seeds/SOURCES.md)"})


ProducerPageSchema = page_schema(ProducerSummarySchema)


class ProducerSchema(ProducerSummarySchema):
    description = ma.fields.String()
    products = ma.fields.List(ma.fields.Nested(ProductSummarySchema), metadata={
        "description": f"Its public products, newest first (at most {MAX_PER_PAGE}; "
                       "the rest via GET /products?producer=id)"})


class ProducerQuerySchema(PaginationQuerySchema):
    kind = ma.fields.String(validate=ma.validate.OneOf(
        PRODUCER_KINDS, error=lazy_gettext("kind must be one of: {choices}")))
    locality = ma.fields.String(metadata={"description": "Commune/ward slug or region slug"})
