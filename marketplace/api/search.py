"""Search-box completions: GET /api/v1/products/suggest?q=.

(`GET /products?q=` itself is the catalogue API: it searches through the same backend.)
"""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ..search import get_backend
from .common import ApiBlueprint

blp = ApiBlueprint("Search", __name__, description="Product search: completions for the search box.")

MAX_SUGGESTIONS = 10


class SuggestArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "What has been typed so far (accents optional)."})
    limit = fields.Integer(load_default=MAX_SUGGESTIONS, validate=validate.Range(min=1, max=MAX_SUGGESTIONS))


class Completion(Schema):
    id = fields.Integer()
    slug = fields.String()
    name = fields.String()


class Suggestions(Schema):
    q = fields.String()
    items = fields.List(fields.Nested(Completion))


@blp.route("/products/suggest")
class Suggest(MethodView):
    @blp.arguments(SuggestArgs(), location="query")
    @blp.response(200, Suggestions)
    @blp.errors(422)
    def get(self, args):
        """Up to 10 product names completing the words typed (accent-insensitive word prefix).

        Names that start with what was typed come first, then best-selling.
        """
        items = get_backend().suggest(args["q"], limit=args["limit"]) if args["q"].strip() else []
        return {"q": args["q"], "items": items}, 200, {"Cache-Control": "public, max-age=60"}
