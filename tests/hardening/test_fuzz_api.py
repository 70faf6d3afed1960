"""Property-based fuzzing of the whole JSON API from its own OpenAPI document.

Schemathesis generates requests for every operation (valid and invalid input) and
checks that no response is a server error and that every response matches the
documented schema, status codes and content type. The run is bounded here
(FUZZ_EXAMPLES per operation, default 8); `make fuzz` runs a longer one.

The stateful run follows the OpenAPI links between operations (a created listing is
fetched, edited, archived; a placed order is read and cancelled; a transfer from the
list is assigned...), as each signed-in role; FUZZ_SCENARIOS bounds it.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
import schemathesis.checks as checks
from hypothesis import HealthCheck, given, settings

from marketplace.accounts.services import issue_token
from marketplace.extensions import db as _db
from marketplace.payments.models import BankTransfer
from marketplace.timeutil import utcnow
from tests import factories
from tests.conftest import empty_tables
from tests.hardening.authz_world import paid_order

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
# Scenarios of up to 8 linked calls per signed-in role (stateful run).
SCENARIOS = int(os.environ.get("FUZZ_SCENARIOS", str(max(EXAMPLES // 2, 4))))
# Our API rejects schema-valid input that breaks a business rule (a Vietnamese phone, an
# email domain, a product that does not exist) with 4xx: that is correct, not a defect.
EXCLUDED_CHECKS = [checks.positive_data_acceptance]
# /readyz answers 503 by design when a dependency (e.g. the search index) is not ready.
SKIPPED_OPERATIONS = {"GET /api/v1/readyz"}


def build_fuzz_world(app) -> dict[str, str]:
    """A small market: two producers with products, and a shopper, a seller and an admin with
    tokens (returned by role)."""
    with app.test_request_context():
        producer = factories.producer(name="HTX Trà hoa vàng Ba Chẽ")
        other = factories.producer(name="HTX Hàu Vân Đồn")
        teas = []
        for i in range(3):
            teas.append(factories.product(name=f"Trà hoa vàng {i}", prod=producer, stock=50))
            factories.product(name=f"Hàu sữa {i}", prod=other, stock=50, stars=3)
        tokens, users = {}, {}
        for role, producer_id in (("shopper", None), ("seller", producer.id), ("admin", None)):
            users[role] = factories.user(role=role, producer_id=producer_id)
            tokens[role] = issue_token(users[role], "fuzz")
        # Something for the links to lead to: the shopper's paid order (the seller's part) and
        # an unmatched bank transfer for the admin.
        paid_order(users["shopper"], teas[0])
        _db.session.add(BankTransfer(provider="sepay", provider_txn_id="fuzz-1", bank="Vietcombank",
                                     account_no="0011004123456", amount_vnd=55_000, description="khong ro",
                                     transacted_at=utcnow(), status="unmatched"))
        _db.session.commit()
        _db.session.remove()
    return tokens


@pytest.fixture
def fuzz_world(app):
    return build_fuzz_world(app)


@pytest.fixture
def api_schema(app, fuzz_world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


def fuzz_every_operation(schema, headers: dict) -> list[str]:
    """Run the generated cases of every operation; return one line per failing operation."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label in SKIPPED_OPERATIONS:
            continue

        @FUZZ
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures


# What each role works with in the stateful run (its links stay within these paths).
ROLE_PATHS = {
    "shopper": r"^/api/v1/(products|producers|cart|checkout|orders|payments/orders|track)",
    "seller": r"^/api/v1/(seller|products|producers)",
    "admin": r"^/api/v1/(admin|payments|producers|orders)",
}


def stateful_run(app, schema, role: str) -> None:
    """Scenarios of linked calls (a hypothesis state machine) as `role`; raises on a failure.

    Every scenario starts from the same freshly built market, so that a scenario replays
    identically when hypothesis shrinks a failure.
    """
    base = schema.include(path_regex=ROLE_PATHS[role]).as_state_machine()

    class Workflow(base):
        def setup(self):
            empty_tables(app)
            self.headers = {"Authorization": f"Bearer {build_fuzz_world(app)[role]}"}

        def get_call_kwargs(self, case):
            return {"headers": self.headers}

        def validate_response(self, response, case, **kwargs):
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, headers=self.headers)

    Workflow.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=8, deadline=None,
                                   derandomize=True, database=None, suppress_health_check=list(HealthCheck)))


def test_the_document_links_operations(api_schema):
    """Links lead from created or listed objects to the operations that take their ids."""
    doc = api_schema.raw_schema
    links = [(path, link) for path, item in doc["paths"].items() for op in item.values() if isinstance(op, dict)
             for response in op["responses"].values() for link in (response.get("links") or {}).values()]
    assert len(links) >= 20
    for source, link in links:
        _root, _paths, pointer, method = link["operationRef"].split("/")
        target = doc["paths"][pointer.replace("~1", "/").replace("~0", "~")][method]
        names = {p["name"] for p in target.get("parameters", []) + doc["paths"][
            pointer.replace("~1", "/").replace("~0", "~")].get("parameters", [])}
        assert set(link["parameters"]) <= names, (source, link)


@pytest.mark.parametrize("role", ["shopper", "seller", "admin"])
def test_linked_operations_hold_together(app, api_schema, role):
    stateful_run(app, api_schema, role)


@pytest.fixture
def csrf_as_in_production(app):
    """CSRF on: a cookieless client (anonymous, or with a Bearer token) needs no CSRF token,
    so no generated request may be refused with `csrf_failed`."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("role", ["anonymous", "shopper", "seller", "admin"])
def test_api_holds_under_generated_input(api_schema, fuzz_world, role, csrf_as_in_production):
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {fuzz_world[role]}"}
    failures = fuzz_every_operation(api_schema, headers)
    if failures:
        pytest.fail(f"{len(failures)} operation(s) failed as {role}:\n\n" + "\n\n".join(failures), pytrace=False)
