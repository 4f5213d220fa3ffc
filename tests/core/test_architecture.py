"""The packages depend one way (DESIGN.md §6, STYLE.md 14).

``crm/`` is read with ``ast`` (nothing is imported) and the test fails on

(a) an import cycle between domain packages — the message shows the cycle and the
    import that makes each step;
(b) an import of a higher layer from a lower one, per ``LAYERS``, or of the
    application's top (the factory, web plumbing, CLI, seeds) from a domain package;
(c) an import inside a function without a comment on its line or the line above that
    says why. Imports written directly under such a commented import share its comment.

A new domain package must be given its place in ``LAYERS`` before it can pass. The
checker is also run on small made-up packages, so a broken checker cannot pass quietly.
"""
from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

CRM = Path(__file__).resolve().parents[2] / "crm"

# Domain packages, bottom first: each may import those before it, never those after.
LAYERS = (
    "core",         # audit, notices, clock, spreadsheets: no domain knowledge
    "auth",         # users, units, roles, the permission shape
    "enterprises",  # the registry with its 包联 assignments and leaders' away periods
    "issues",       # problems, their workflow and deadlines
    "financing",    # 政银企: financing needs, banks' answers, matchmaking, 停减产 support
    "liaisons",     # visits (they raise problems), coverage, the policy catalogue
    "meetings",     # joint and review meetings, packets, the figures
    "taskforces",   # 专班, key projects and milestones, rhythm meetings, inspection groups
    "dossier",      # pages composing everything about enterprises (list, page, portfolio)
    "channel",      # the enterprise's own pages behind its code (企业码)
)
# Plumbing any layer may use.
INFRASTRUCTURE = {"config", "extensions", "jobs"}
# Packages on top, with the factory and the other top modules: they may import
# anything, and no domain package may import them.
TOP_PACKAGES = {"seed"}


@dataclass(frozen=True)
class Edge:
    """One import: where it is written and what it names."""

    source: str  # package (or top module) of the importing file
    target: str  # package or top module imported
    where: str   # path:line
    module: str  # dotted name imported


def _unit_of(root: Path, dotted: str) -> str | None:
    """The package or top module a dotted ``crm…`` name belongs to (``crm`` itself for
    the package's ``__init__``); None outside ``crm``."""
    parts = dotted.split(".")
    if parts[0] != root.name:
        return None
    return parts[1] if len(parts) > 1 else root.name


def _targets(root: Path, node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Dotted names an import statement loads (``from crm import web`` loads ``crm.web``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against the importing module
        base = module.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        name = ".".join(base + ([node.module] if node.module else []))
    else:
        name = node.module or ""
    out = []
    for alias in node.names:
        candidate = root.parent.joinpath(*f"{name}.{alias.name}".split("."))
        if candidate.is_dir() or candidate.with_suffix(".py").is_file():
            out.append(f"{name}.{alias.name}")  # a submodule
        else:
            out.append(name)
    return out


def _comment_lines(source: str) -> set[int]:
    return {tok.start[0] for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.COMMENT}


def _inner_imports(tree: ast.AST) -> list[ast.stmt]:
    """Import statements inside a function body (at any depth)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for sub in ast.walk(node):
                if sub is not node and isinstance(sub, (ast.Import, ast.ImportFrom)):
                    found.append(sub)
    return sorted(set(found), key=lambda n: n.lineno)


def scan(root: Path) -> tuple[list[Edge], list[str]]:
    """Every import between units of ``root`` and every unexplained import inside a
    function."""
    edges, unexplained = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent)
        is_package = path.name == "__init__.py"
        module = ".".join(rel.with_suffix("").parts[:-1] if is_package
                          else rel.with_suffix("").parts)
        source_unit = _unit_of(root, module)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in dict.fromkeys(_targets(root, node, module, is_package)):
                unit = _unit_of(root, target)
                if unit is not None and unit != source_unit:
                    edges.append(Edge(source_unit, unit, f"{rel}:{node.lineno}", target))
        comments, explained = _comment_lines(source), set()
        for node in _inner_imports(tree):
            above = node.lineno - 1
            if node.lineno in comments or above in comments or above in explained:
                explained.add(node.end_lineno)
            else:
                unexplained.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    return edges, unexplained


def domain_packages(root: Path) -> set[str]:
    """Every package of ``root`` that is not on top (new ones included)."""
    return {p.parent.name for p in root.glob("*/__init__.py")} - TOP_PACKAGES


def find_cycle(edges: list[Edge], nodes: set[str]) -> list[Edge] | None:
    """One cycle among ``nodes`` as the list of its imports, or None."""
    graph: dict[str, dict[str, Edge]] = {}
    for e in edges:
        if e.source in nodes and e.target in nodes:
            graph.setdefault(e.source, {}).setdefault(e.target, e)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[Edge] = []

    def visit(node: str) -> list[Edge] | None:
        state[node] = 1
        for target, edge in sorted(graph.get(node, {}).items()):
            if state.get(target) == 1:
                start = next(i for i, e in enumerate(path) if e.source == target) \
                    if target != node else len(path)
                return path[start:] + [edge]
            if target not in state:
                path.append(edge)
                found = visit(target)
                if found:
                    return found
                path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer_violations(root: Path, edges: list[Edge], layers=LAYERS) -> list[str]:
    """Imports that point up, into the top, or from a package without a declared layer."""
    domains = domain_packages(root)
    problems = [f"crm/{name}/ is a new package: give it its place in LAYERS"
                for name in sorted(domains - set(layers))]
    rank = {name: i for i, name in enumerate(layers)}
    for e in edges:
        if e.source not in domains or e.target in INFRASTRUCTURE:
            continue
        if e.target not in domains:
            problems.append(f"{e.where}: {e.source} imports {e.module}, which is on top "
                            f"(factory, CLI, seeds): move what it needs down")
        elif e.source in rank and e.target in rank and rank[e.target] > rank[e.source]:
            problems.append(f"{e.where}: {e.source} imports {e.module}, a higher layer "
                            f"({' < '.join(layers)})")
    return problems


def describe_cycle(cycle: list[Edge]) -> str:
    steps = " -> ".join([cycle[0].source] + [e.target for e in cycle])
    return steps + "\n" + "\n".join(f"  {e.where}: {e.source} imports {e.module}"
                                    for e in cycle)


# -- the application ----------------------------------------------------------------

def test_no_import_cycle_between_domain_packages():
    edges, _ = scan(CRM)
    cycle = find_cycle(edges, domain_packages(CRM))
    assert cycle is None, "import cycle: " + describe_cycle(cycle)


def test_packages_import_only_lower_layers():
    edges, _ = scan(CRM)
    problems = layer_violations(CRM, edges)
    assert not problems, "\n".join(problems)


def test_imports_inside_functions_say_why():
    _, unexplained = scan(CRM)
    assert not unexplained, ("imports inside a function need a comment on their line or "
                             "the line above saying why:\n" + "\n".join(unexplained))


# -- the checker on made-up packages ---------------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "crm"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_shows_a_cycle(tmp_path):
    root = _tree(tmp_path, {
        "core/__init__.py": "",
        "issues/__init__.py": "", "issues/models.py": "from crm.liaisons.models import Visit\n",
        "liaisons/__init__.py": "", "liaisons/models.py": "from crm.issues import models\n",
    })
    edges, _ = scan(root)
    cycle = find_cycle(edges, domain_packages(root))
    assert cycle is not None
    text = describe_cycle(cycle)
    assert text.splitlines()[0] in ("issues -> liaisons -> issues", "liaisons -> issues -> liaisons")
    assert "crm/issues/models.py:1" in text and "crm/liaisons/models.py:1" in text


def test_the_checker_refuses_upward_and_top_imports_and_undeclared_packages(tmp_path):
    root = _tree(tmp_path, {
        "web.py": "",
        "enterprises/__init__.py": "",
        "enterprises/pages.py": "from crm.issues.models import Issue\nfrom crm import web\n",
        "issues/__init__.py": "", "issues/models.py": "from crm.extensions import db\n",
        "extensions.py": "",
        "taskforces/__init__.py": "",
    })
    edges, _ = scan(root)
    problems = layer_violations(root, edges, layers=("enterprises", "issues"))
    assert problems[0] == "crm/taskforces/ is a new package: give it its place in LAYERS"
    assert any(p.startswith("crm/enterprises/pages.py:1: enterprises imports crm.issues.models")
               for p in problems)
    assert any(p.startswith("crm/enterprises/pages.py:2: enterprises imports crm.web")
               for p in problems)
    assert len(problems) == 3  # issues → extensions is plumbing: allowed


def test_the_checker_wants_a_reason_for_an_import_in_a_function(tmp_path):
    root = _tree(tmp_path, {"core/__init__.py": "", "core/render.py": (
        "def render():\n"
        "    # WeasyPrint is heavy: loaded only when rendering.\n"
        "    import weasyprint\n"
        "    import pydyf\n"
        "    return weasyprint, pydyf\n"
        "\n"
        "def later():\n"
        "    import json\n"
        "    return json\n"
        "\n"
        "def inline():\n"
        "    import csv  # only this report writes CSV\n"
        "    return csv\n")})
    _, unexplained = scan(root)
    assert unexplained == ["crm/core/render.py:8: import json"]
