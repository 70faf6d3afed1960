"""Checkout: turning a cart (or a list of items) into one order with a part per producer."""
