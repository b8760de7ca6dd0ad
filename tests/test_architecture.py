"""The code matches docs/architecture.md: packages import only along the arrows, and no module imports
another that imports it back (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fileformats", "config", "core", "notifications", "circulation", "documents", "supervision",
            "directory", "notices", "reporting", "inspection", "assessment", "library", "printing", "demo", "intranet")
# Which top-level packages each may import (besides itself). Keep in step with docs/architecture.md.
ALLOWED = {
    "fileformats": set(),
    "config": set(),
    "core": {"config", "fileformats"},
    "notifications": {"config", "fileformats", "core"},
    "circulation": {"config", "fileformats", "core", "notifications"},
    "documents": {"config", "fileformats", "core", "notifications", "circulation"},
    "supervision": {"config", "fileformats", "core", "notifications", "documents"},
    "directory": {"config", "fileformats", "core"},
    "notices": {"config", "fileformats", "core", "notifications"},
    "reporting": {"config", "fileformats", "core", "notifications"},
    "inspection": {"config", "fileformats", "core", "notifications"},
    "assessment": {"config", "fileformats", "core", "notifications", "reporting", "inspection"},
    "library": {"config", "fileformats", "core"},
    "printing": {"config", "fileformats", "core", "notifications", "library"},
    "demo": {"config", "fileformats", "core", "documents"},
    "intranet": {"config", "fileformats", "core", "notifications", "circulation", "documents", "supervision",
                 "directory", "notices", "reporting", "inspection", "assessment", "library", "printing", "demo"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            out[".".join(rel.with_suffix("").parts).removesuffix(".__init__")] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):  # every import, at module level or inside a function
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            if target and target != name and not name.startswith(target + "."):
                found.add(target)
    return found


def test_packages_import_along_the_arrows():
    modules = _modules()
    wrong = []
    for name, path in modules.items():
        top = name.split(".")[0]
        for target in _imports(name, path, modules):
            other = target.split(".")[0]
            if other != top and other not in ALLOWED[top]:
                wrong.append(f"{name} imports {target} ({top} -> {other} is against the arrows)")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
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
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, "modules that import each other: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_tests_share_through_support_modules_not_conftests_or_other_tests():
    """Test support is a plugin (tests/support) or a plain helper module: a test never imports a conftest or
    another test module (issue 15 §7), so moving or renaming one test file breaks no other."""
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
                last = node.module.rsplit(".", 1)[-1]
                if last == "conftest" or last.startswith("test_"):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {node.module}")
    assert not wrong, "\n".join(wrong)
