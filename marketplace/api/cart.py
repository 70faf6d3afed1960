"""Cart endpoints: a guest's cart lives in the session, a signed-in shopper's is stored."""
from __future__ import annotations

from flask.views import MethodView

from ..cart import services
from ..cart.context import current_cart
from ..cart.schemas import AddItemSchema, CartSchema, SetQuantitySchema, cart_dict
from .common import ApiBlueprint, link_to

blp = ApiBlueprint("cart_api", __name__, description="Cart: grouped by seller, with totals")


def _cart():
    return cart_dict(services.price_cart(current_cart()))


@blp.route("/cart")
class CartView(MethodView):
    @blp.response(200, CartSchema)
    def get(self):
        """The cart, grouped by seller, with subtotals, shipping and flags for unavailable lines"""
        return _cart()


@blp.route("/cart/items")
class CartItems(MethodView):
    @blp.arguments(AddItemSchema())
    @blp.response(201, CartSchema)
    @blp.links(201, SetCartItemQuantity=link_to("PATCH", "/cart/items/{product_id}",
                                                product_id="$request.body#/product_id"),
               RemoveCartItem=link_to("DELETE", "/cart/items/{product_id}", product_id="$request.body#/product_id"))
    @blp.errors(404, 409, 422)
    def post(self, data):
        """Add a product (adds to the quantity already in the cart); 409 beyond the stock"""
        services.add_item(current_cart(), data["product_id"], data["quantity"])
        return _cart()


@blp.route("/cart/items/<int:product_id>")
class CartItem(MethodView):
    @blp.arguments(SetQuantitySchema())
    @blp.response(200, CartSchema)
    @blp.errors(404, 409, 422)
    def patch(self, data, product_id):
        """Set a line's quantity (0 removes it)"""
        services.set_quantity(current_cart(), product_id, data["quantity"])
        return _cart()

    @blp.response(200, CartSchema)
    def delete(self, product_id):
        """Remove a line"""
        services.remove_item(current_cart(), product_id)
        return _cart()
