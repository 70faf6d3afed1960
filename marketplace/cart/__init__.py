"""The shopping cart: a session cart for guests, a stored cart for signed-in shoppers."""
