"""The rate limit of placing orders: per client address, web form and API together."""
from __future__ import annotations

from flask import current_app

from ..extensions import limiter

checkout_rate_limit = limiter.shared_limit(
    lambda: current_app.config["CHECKOUT_RATE_LIMIT"], scope="checkout", methods=["POST"],
    error_message="Quá nhiều lần đặt hàng, vui lòng thử lại sau / Too many orders placed, try again later",
)
