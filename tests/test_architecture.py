"""The import rules of docs/architecture.md, enforced by walking every module's imports."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "dfctl"

LEAVES = {"errors", "diagnostics", "redact"}
# package (first name under dfctl) -> the packages it may import; dfctl's own __init__ (the
# version and apiVersion) is open to all
ALLOWED: dict[str, set[str]] = {
    "errors": {"diagnostics", "redact"},
    "diagnostics": {"redact"},
    "redact": set(),
    "clock": set(),
    "quantity": {"errors"},
    "adapters": {"errors"},
    "model": LEAVES,
    "load": {"model", "adapters"} | LEAVES,
    "fmt": {"load", "model"} | LEAVES,
    "schemagen": {"load", "model"} | LEAVES,
    "checks": {"load", "model", "fmt", "quantity"} | LEAVES,
    "validate": {"checks", "load", "model"} | LEAVES,
    "render": {"load", "model", "quantity"} | LEAVES,
    "pipeline": {"validate", "render", "load", "model", "adapters"} | LEAVES,
    "diff": {"render", "load", "model", "quantity"} | LEAVES,
    "reconcile": {"render", "diff", "model", "quantity", "adapters"} | LEAVES,
    "gitops": {"pipeline", "reconcile", "diff", "render", "load", "model", "adapters", "clock"}
    | LEAVES,
    "intake": {"checks", "load", "model", "fmt", "adapters"} | LEAVES,
    "sandbox": {"adapters"} | LEAVES,
    "report": {
        "checks",
        "intake",
        "diff",
        "gitops",
        "reconcile",
        "render",
        "model",
        "quantity",
        "clock",
    }
    | LEAVES,
    "inspect": {
        "pipeline",
        "reconcile",
        "render",
        "load",
        "model",
        "adapters",
        "clock",
        "gitops",
        "quantity",
    }
    | LEAVES,
    "cli": {"*"},
    "__main__": {"cli"},
}

# third-party client libraries and the one module allowed to import each
CONFINED = {
    "git": "dfctl.adapters.git",
    "gitdb": "dfctl.adapters.git",
    "kubernetes": "dfctl.adapters.kube",
    "urllib3": "dfctl.adapters.kube",
    "etcd3gw": "dfctl.adapters.etcd",
    "requests": "dfctl.adapters.etcd",
    "subprocess": "dfctl.adapters.processes",
    "openpyxl": "dfctl.adapters.spreadsheet",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # the full dotted name imported (a module, or a name in one)
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(module: str) -> list[Import]:
    """Every import of ``module``, function-level ones included; TYPE_CHECKING blocks aside."""
    return list(_imports(module, MODULES[module]))


@functools.cache
def _imports(module: str, path: Path) -> tuple[Import, ...]:
    return tuple(_walk(module, path))


def _walk(module: str, path: Path) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for inner in node.body for n in ast.walk(inner))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield Import(module, full if full in MODULES else node.module, node.lineno)


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_is_in_the_table() -> None:
    packages = {package_of(m) for m in MODULES} - {""}
    assert packages <= set(ALLOWED), sorted(packages - set(ALLOWED))


def forbidden_imports() -> list[str]:
    found = []
    for module, path in MODULES.items():
        own = package_of(module)
        for imp in imports_of(module):
            if not imp.imported.startswith("dfctl.") or imp.imported == "dfctl":
                continue
            target = package_of(imp.imported)
            allowed = ALLOWED.get(own, set())
            if target in (own, "") or "*" in allowed or target in allowed:
                continue
            found.append(f"{path.name}:{imp.line}: {module} imports {imp.imported}")
    return found


def test_imports_point_down_the_flow() -> None:
    assert forbidden_imports() == []


def misplaced_libraries() -> list[str]:
    found = []
    for module in MODULES:
        for imp in imports_of(module):
            top = imp.imported.split(".")[0]
            owner = CONFINED.get(top)
            if owner is not None and module != owner:
                found.append(f"{module}:{imp.line} imports {top}, which only {owner} may")
    return found


def test_client_libraries_stay_in_their_adapters() -> None:
    assert misplaced_libraries() == []


def cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    graph = {
        m: sorted(
            {i.imported for i in imports_of(m) if i.imported in MODULES and i.imported != m}
            | {
                i.imported.rsplit(".", 1)[0]
                for i in imports_of(m)
                if i.imported not in MODULES and i.imported.rsplit(".", 1)[0] in MODULES
            }
            - {m}
        )
        for m in MODULES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycles() -> None:
    assert cycles() == []


# -- the checks catch what they are for ----------------------------------------------------------


def test_an_upward_import_is_caught(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from dfctl.gitops.approvals import verify_range\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "dfctl.diff.bad", bad)
    assert forbidden_imports() == ["bad.py:1: dfctl.diff.bad imports dfctl.gitops.approvals"]


def test_a_library_outside_its_adapter_is_caught(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def lazy() -> None:\n    import kubernetes\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "dfctl.sandbox.bad", bad)
    assert misplaced_libraries() == [
        "dfctl.sandbox.bad:2 imports kubernetes, which only dfctl.adapters.kube may"
    ]


def test_a_cycle_is_caught(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("from dfctl.diff import second\n", encoding="utf-8")
    second.write_text("import dfctl.diff.first\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "dfctl.diff.first", first)
    monkeypatch.setitem(MODULES, "dfctl.diff.second", second)
    assert cycles() == [["dfctl.diff.first", "dfctl.diff.second"]]
