"""The traceability rules, one module per job; import from those modules.

- `lots`: a producer's lots and the product's GTIN (lookups scoped by producer, validation)
- `links`: GS1 Digital Links, their signatures, resolving a scan and counting it
- `passports`: what a passport shows, and its page cached for visitors
- `files`: a lot's documents and photos
- `shipping`: which lots each shipped order line came from
- `recalls`: recalling a lot, emailing its buyers, the admin's list
- `fake_reports`: suspected fakes reported from a passport, the admin's queue
- `coverage`: the province's coverage indicator

This module only keeps the names that code written before the split imports from it
(tests/test_paginated_pages.py, owned elsewhere); new code imports the job modules.
"""
from __future__ import annotations

from .fake_reports import report_fake
from .lots import create_lot
from .recalls import recall

__all__ = ["create_lot", "recall", "report_fake"]
