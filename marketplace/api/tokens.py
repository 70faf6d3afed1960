"""API tokens for Bearer authentication.

Exempt from CSRF: the request carries the password itself, neither reads nor sets the
session cookie, and a cross-site page cannot read the token in the answer.
"""
from __future__ import annotations

from ..accounts.auth import sign_in_limits
from ..accounts.schemas import TokenRequestSchema, TokenSchema
from ..accounts.services import issue_token
from .accounts import check_credentials
from .common import ApiBlueprint

CSRF_EXEMPT = True

blp = ApiBlueprint("Tokens", __name__, description="Bearer tokens for API clients (mobile apps, partners).")


@blp.route("/auth/tokens", methods=["POST"])
@sign_in_limits
@blp.arguments(TokenRequestSchema())
@blp.response(201, TokenSchema)
@blp.errors(400, 401, 415, 429)
def create_token(data):
    """Create a Bearer token

    Send it as `Authorization: Bearer <token>`. It is shown only once; sign out with it
    (POST /auth/logout) to revoke it; a password change or "sign out everywhere" revokes
    it too. Rate limited together with /auth/login.
    """
    user = check_credentials(data["email"], data["password"])
    return {"token": issue_token(user, name=data["name"])}
