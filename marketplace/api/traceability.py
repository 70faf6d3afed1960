"""The traceability API lives with its domain (marketplace.traceability.api)."""
from ..traceability.api import URL_PREFIX, blp  # noqa: F401
