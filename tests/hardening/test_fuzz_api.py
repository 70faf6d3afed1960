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

import json
import os
from urllib.parse import quote

import pytest
import schemathesis
import schemathesis.checks as checks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


@pytest.fixture(autouse=True)
def _uncompressed(app, monkeypatch):
    """Schemathesis reads bodies as sent and asks for gzip: answer uncompressed here
    (compression has its own tests, tests/test_assets.py)."""
    monkeypatch.setitem(app.config, "COMPRESS_MIN_SIZE", 10**12)


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


# --- hostile values ---------------------------------------------------------------------
# Schemathesis draws values that fit the documented types. What breaks servers lies outside:
# NUL bytes (PostgreSQL refuses them in text), lone surrogates (no UTF-8 for them), numbers
# far beyond any column, bodies nested deeper than a recursive parser goes. Every parameter
# and body field of every operation is given such values here, on whichever database the
# suite runs on; the answer must be a 4xx (or a success), never a 5xx.

HUGE_DIGITS = ("9" * 19, "1" + "0" * 30, "9" * 5000, "-" + "9" * 400)
HOSTILE_TEXT = st.one_of(
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfffy", "\u202etxt.exe", "\u200b\u200b", "\x1b[31m", "%00",
                     *HUGE_DIGITS]),
    st.text(alphabet=st.characters(codec=None, categories=["Cc", "Cs", "Cf", "Lo", "Nd"]), max_size=12),
)
# Numbers go into the body as raw JSON text: Python's json cannot write 5,000 digits.
HOSTILE_NUMBER = st.sampled_from(HUGE_DIGITS + ("1e400", "-0", "0.5", "2147483648", "-2147483649"))
DEEP = "[" * 100_000 + "]" * 100_000


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@st.composite
def _json_value(draw, doc: dict, schema: dict, depth: int = 0) -> str:
    """Raw JSON text shaped like `schema`, with hostile values in some of its leaves."""
    schema = _resolve(doc, schema or {})
    kind = schema.get("type") or ("object" if "properties" in schema else "string")
    if kind == "object" and depth < 4:
        parts = []
        for name, field in (schema.get("properties") or {}).items():
            if draw(st.booleans()) or name in schema.get("required", ()):
                parts.append(f"{json.dumps(name)}: {draw(_json_value(doc, field, depth + 1))}")
        return "{" + ", ".join(parts) + "}"
    if kind == "array" and depth < 4:
        return "[" + draw(_json_value(doc, schema.get("items") or {}, depth + 1)) + "]"
    if kind in ("integer", "number"):
        return draw(st.one_of(HOSTILE_NUMBER, st.integers(-10, 10).map(str)))
    return json.dumps(draw(st.one_of(HOSTILE_TEXT, st.just("ordinary")))) if kind == "string" else \
        draw(st.sampled_from(["true", "null", "{}", "[]", json.dumps("\x00")]))


def _operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and f"{method.upper()} {path}" not in SKIPPED_OPERATIONS:
                yield method.upper(), path, op.get("parameters", []) + item.get("parameters", []), op


@st.composite
def _hostile_request(draw, doc: dict, method: str, path: str, params: list, op: dict) -> dict:
    url = path
    query = []
    for param in params:
        integer = (param.get("schema") or {}).get("type") == "integer"
        value = draw(HOSTILE_NUMBER if integer and draw(st.booleans()) else HOSTILE_TEXT)
        encoded = quote(value, safe="", errors="surrogatepass")
        if param["in"] == "path":
            url = url.replace("{" + param["name"] + "}", encoded or "x")
        elif param["in"] == "query" and draw(st.booleans()):
            query.append(f"{param['name']}={encoded}")
    request = {"method": method, "path": url + ("?" + "&".join(query) if query else "")}
    content = (op.get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        schema = content["application/json"].get("schema") or {}
        request["data"] = draw(st.one_of(_json_value(doc, schema), st.just(DEEP),
                                         st.just('{"a": ' + "[" * 500 + "]" * 500 + "}")))
        request["content_type"] = "application/json"
    elif "multipart/form-data" in content:
        request["data"] = {"note\x00": draw(HOSTILE_TEXT).encode("utf-8", "surrogatepass")}
    return request


def test_api_holds_under_hostile_values(app, api_schema, fuzz_world):
    doc = api_schema.raw_schema
    roles = [{}] + [{"Authorization": f"Bearer {token}"} for token in fuzz_world.values()]
    client = app.test_client()
    failures = []
    for method, path, params, op in _operations(doc):

        @settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(request=_hostile_request(doc, method, path, params, op), headers=st.sampled_from(roles))
        def check(request, headers):
            response = client.open(headers=headers, **request)
            assert response.status_code < 500, (request["path"], str(request.get("data"))[:300],
                                                response.get_data(as_text=True)[:300])
            if response.status_code >= 400 and response.mimetype == "application/json":
                assert set(response.get_json()) >= {"error"}, response.get_json()

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
            failures.append(f"{method} {path}: {str(exc)[:1500]}")
    if failures:
        pytest.fail(f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures), pytrace=False)
