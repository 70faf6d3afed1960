"""Dependencies between the packages of `marketplace` point one way.

The graph is read from the source with `ast`, counting every import (a function-level
`from ..payments import x` is as much a dependency as one at the top of a module, it
is only hidden from the import machinery until the function runs). A node is a
top-level package (`orders`, `payments`, ...) or a top-level module (`money`,
`extensions`, ...); the application factory (`marketplace/__init__.py`) and the
model registry (`marketplace/models.py`) sit above everything by design and are left
out: they import every package and nothing imports them for a domain rule.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import marketplace.models  # noqa: F401 (every model, before a provider's import configures the mappers)
from marketplace.payments.providers import GATEWAYS

ROOT = Path(__file__).resolve().parent.parent / "marketplace"
# Modules whose job is to wire every package together (the app factory, the CLI group
# and the metadata registry Alembic reads); an edge into them would be the real mistake.
WIRING = {"__init__", "models", "cli"}


def _node_of(module_path: Path, root: Path) -> str:
    """`marketplace/orders/services.py` -> `orders`; `marketplace/money.py` -> `money`."""
    rel = module_path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _package_parts(module_path: Path, root: Path) -> list[str]:
    """The dotted package a module lives in, as parts below `marketplace`."""
    rel = module_path.relative_to(root).with_suffix("")
    return list(rel.parts)[:-1]


def _targets(module_path: Path, root: Path, node: ast.AST) -> list[list[str]]:
    """The modules (as parts below `marketplace`) one import statement names."""
    if isinstance(node, ast.Import):
        return [name.name.split(".")[1:] for name in node.names if name.name.split(".")[0] == "marketplace"]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level == 0:
        if not (node.module or "").startswith("marketplace"):
            return []
        base = node.module.split(".")[1:]
    else:
        package = _package_parts(module_path, root)
        if node.level - 1 > len(package):
            return []
        base = package[:len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
    if base:
        return [base]
    # `from .. import audit, money`: each name is a module of the root package.
    return [[alias.name] for alias in node.names]


def package_graph(root: Path = ROOT) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        source = _node_of(path, root)
        if source in WIRING:
            continue
        edges = graph.setdefault(source, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            for target in _targets(path, root, node):
                if target and target[0] != source and target[0] not in WIRING:
                    edges.add(target[0])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _edges_within(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    return [f"{a} -> {b}" for a in component for b in sorted(graph[a]) if b in component]


def test_no_import_cycle_between_packages():
    graph = package_graph()
    found = cycles(graph)
    assert not found, "import cycles between packages:\n" + "\n".join(
        ", ".join(_edges_within(graph, component)) for component in found)


def test_no_domain_imports_the_api_layer():
    """The JSON API sits on top: domain schemas nest each other's schemas and the shared
    fields of marketplace/schema_fields.py, never a module of marketplace/api."""
    graph = package_graph()
    importers = sorted(source for source, targets in graph.items() if "api" in targets)
    assert not importers, f"these packages import marketplace.api: {importers}"


def test_the_layers_named_in_the_design_point_one_way():
    graph = package_graph()
    assert "catalog" in graph["search"] and "orders" in graph["payments"]
    # Lower layers never reach the upper one, even through a third package.
    assert "search" not in _reachable(graph, "catalog")
    assert "payments" not in _reachable(graph, "orders")


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_builder_sees_function_level_and_relative_imports(tmp_path):
    (tmp_path / "lower").mkdir()
    (tmp_path / "upper").mkdir()
    (tmp_path / "lower" / "__init__.py").write_text("")
    (tmp_path / "upper" / "__init__.py").write_text("")
    (tmp_path / "lower" / "a.py").write_text("def f():\n    from ..upper import b\n    return b\n")
    (tmp_path / "upper" / "b.py").write_text("from ..lower.a import f\n")
    (tmp_path / "money.py").write_text("")
    (tmp_path / "upper" / "c.py").write_text("from .. import money\nimport marketplace.lower.a\n")
    graph = package_graph(tmp_path)
    assert graph["lower"] == {"upper"}
    assert graph["upper"] == {"lower", "money"}
    assert cycles(graph) == [["lower", "upper"]]


def _module_name(path: Path, root: Path) -> str:
    """`marketplace/orders/services.py` -> `orders.services`; a package is its `__init__`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "__init__"


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of `marketplace` it imports (anywhere in its body).

    `from .x import name` names module `x.name` when that is a module, else `x`; a package's
    `__init__` is the node of the package. The application factory is left out as above.
    """
    paths = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}

    def resolve(parts: list[str]) -> str | None:
        for end in range(len(parts), 0, -1):
            if ".".join(parts[:end]) in paths:
                return ".".join(parts[:end])
        return None

    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        if name in WIRING:
            continue
        edges = graph.setdefault(name, set())
        package = _package_parts(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets = []
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("marketplace")):
                base = _targets(path, root, node)
                base = base[0] if len(base) == 1 and (node.module or node.level == 0) else []
                if not base and not node.module:  # `from .. import audit, money`
                    up = package[:len(package) - (node.level - 1)]
                    targets = [up + [alias.name] for alias in node.names]
                else:
                    targets = [base + [alias.name] if ".".join(base + [alias.name]) in paths else base
                               for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = _targets(path, root, node)
            for target in targets:
                found = resolve(target)
                if found and found != name and found not in WIRING:
                    edges.add(found)
    return graph


def test_no_import_cycle_between_modules():
    """Not only packages: two modules of one package never import each other either (a package's
    `__init__` wiring its parts while a part imports a name from the `__init__` is such a circle).
    Where a lower module must reach an upper one, the upper one registers itself (a signal or a
    registry, as `orders.events` and `payments.gateway.register`)."""
    graph = module_graph()
    found = cycles(graph)
    assert not found, "import cycles between modules:\n" + "\n".join(
        ", ".join(_edges_within(graph, component)) for component in found)


def test_the_module_graph_sees_circles_inside_a_package(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("from .parts import wheel\nNAME = 'shop'\n")
    (tmp_path / "shop" / "parts.py").write_text("def wheel():\n    from . import NAME\n    return NAME\n")
    (tmp_path / "shop" / "till.py").write_text("from .. import money\nfrom ..shop import parts\n")
    (tmp_path / "money.py").write_text("import marketplace.shop.till\n")
    graph = module_graph(tmp_path)
    assert graph["shop"] == {"shop.parts"} and graph["shop.parts"] == {"shop"}
    assert graph["shop.till"] == {"money", "shop.parts"} and graph["money"] == {"shop.till"}
    assert sorted(cycles(graph)) == [["money", "shop.till"], ["shop", "shop.parts"]]


@pytest.mark.parametrize("module", ["payments"])
def test_no_payments_module_is_over_400_lines(module):
    sizes = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in (ROOT / module).rglob("*.py")}
    assert max(sizes.values()) <= 400, sorted(sizes.items(), key=lambda item: -item[1])[:3]


def _modules(root: Path = ROOT):
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def payment_status_writers(root: Path = ROOT) -> set[str]:
    """Modules that assign `<something>.payment_status = ...` (creating an order with its first
    value, `Order(payment_status="unpaid")`, is not a change of status)."""
    writers = set()
    for name, tree in _modules(root):
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, (ast.AugAssign, ast.AnnAssign)) else []
            if any(isinstance(t, ast.Attribute) and t.attr == "payment_status" for t in targets):
                writers.add(name)
    return writers


def order_lockers(root: Path = ROOT) -> set[str]:
    """Where an order row is locked: a function named like a lock of orders, or a
    `select(Order)... .with_for_update()`."""
    found = set()
    for name, tree in _modules(root):
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and "lock_order" in node.name and not node.name.endswith("_by_code"):
                found.add(f"{name}:{node.name}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "with_for_update" and "select(Order)" in ast.unparse(node)):
                found.add(f"{name}:line {node.lineno}")
    return found


def test_payment_status_is_written_in_one_place():
    assert payment_status_writers() == {"payments/ledger.py"}


def test_order_rows_are_locked_by_one_function():
    assert order_lockers() == {"orders/access.py:lock_order"}


# A payment method's name belongs to its provider module (marketplace/payments/providers): everywhere
# else code asks the method's gateway (its title, invoice text, payment window...) instead of
# branching on the name, so a new provider is one more module there and nothing else.
PAYMENT_METHOD_NAMES = set(GATEWAYS)
# Where a method's name is data rather than a decision: the settings and the seed catalogue
# (migrations and tests lie outside marketplace/ and are not read).
METHOD_NAMES_ALLOWED = {"config.py", "catalog/seed.py"}


def _is_method_name(node: ast.AST) -> bool:
    """A literal method name, or a tuple/list/set literal holding one."""
    if isinstance(node, ast.Constant):
        return node.value in PAYMENT_METHOD_NAMES
    return isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(_is_method_name(e) for e in node.elts)


def _names_a_method(node: ast.AST) -> bool:
    """Whether a literal method name appears anywhere in `node` (`SelectChoice("vietqr", ...)`)."""
    return any(isinstance(n, ast.Constant) and n.value in PAYMENT_METHOD_NAMES for n in ast.walk(node))


def method_name_branches(source: str) -> list[tuple[int, str]]:
    """Comparisons with a literal payment method name, dicts keyed by one and tuples, lists or
    sets listing one (a hand-kept list of the methods, or of some of them), as (line, code)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(map(_names_a_method, node.elts)):
            found.append((node.lineno, ast.unparse(node)[:80]))
        elif isinstance(node, ast.Compare) and any(map(_is_method_name, [node.left, *node.comparators])):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Dict) and any(key is not None and _is_method_name(key) for key in node.keys):
            found.append((node.lineno, ast.unparse(node)[:80]))
        elif isinstance(node, ast.match_case) and any(
                isinstance(n, ast.MatchValue) and _is_method_name(n.value) for n in ast.walk(node.pattern)):
            found.append((node.pattern.lineno, ast.unparse(node.pattern)))
    return found


def test_the_method_name_check_sees_branches_and_lookups():
    assert method_name_branches('w = a if method == "stripe" else b')
    assert method_name_branches('ok = order.payment_method in ("vietqr", "stripe")')
    assert method_name_branches('LABELS = {"vietqr": "CK", "stripe": "Thẻ"}')
    assert method_name_branches('match m:\n    case "vietqr":\n        pass')
    assert not method_name_branches('gateway = get_gateway(order.payment_method)')
    assert not method_name_branches('x = {"method": method}; y = kind == "card"')


def test_the_method_name_check_sees_hand_kept_lists_of_methods():
    # What checkout, orders and stats once held instead of asking the registry.
    assert method_name_branches('PAYMENT_METHODS = ("stripe", "vietqr")')
    assert method_name_branches('CASHLESS_METHODS = ["vietqr"]')
    assert method_name_branches('ok = {"stripe", "vietqr"}')
    assert method_name_branches('f = RadioField(choices=[SelectChoice("vietqr", _l("Bank transfer")),\n'
                                '                        SelectChoice("stripe", _l("Card"))])')
    assert method_name_branches('OPTIONS = (("vietqr", "CK"), ("stripe", "Thẻ"))')
    assert not method_name_branches('KINDS = ("payment", "refund"); x = [m for m in methods()]')


def test_only_the_provider_modules_name_a_payment_method():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name.startswith("payments/providers/") or name in METHOD_NAMES_ALLOWED:
            continue
        found += [f"  {name}:{line}: {code}" for line, code in method_name_branches(path.read_text(encoding="utf-8"))]
    assert not found, ("ask the method's gateway (marketplace/payments/gateway.py) instead of naming it:\n"
                       + "\n".join(found))


def quoted_method_names(text: str) -> list[str]:
    """A template's lines that quote a payment method's name (`order.payment_method == "vietqr"`)."""
    names = "|".join(map(re.escape, sorted(PAYMENT_METHOD_NAMES)))
    quoted = re.compile(rf"([\"'])(?:{names})\1")
    return [line.strip() for line in text.splitlines() if quoted.search(line)]


def test_the_template_check_sees_a_quoted_method_name():
    assert quoted_method_names('{% if order.payment_method == "vietqr" %}')
    assert quoted_method_names("{% if m in ('stripe',) %}")
    assert not quoted_method_names('{% if order.payment_method is paid_by_transfer_notice %} vietqr.png')


def test_templates_outside_payments_ask_the_gateway_too():
    """Pages and e-mails use `|payment_method` and the gateway's template tests (payments/views.py)."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if path.is_file() and not name.startswith("payments/"):
            found += [f"  templates/{name}: {line}" for line in quoted_method_names(path.read_text(encoding="utf-8"))]
    assert not found, "ask the method's gateway instead of naming it:\n" + "\n".join(found)
