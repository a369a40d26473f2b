"""The package's shape: layers that point one way, and the generated API kept current.

Read ``docs/architecture.md`` for the picture; these tests keep the code and it agreeing.
The import graph is read from the source (AST), as a reader would follow it: an import at
module level is an edge, and importing ``a.b.c`` also runs ``a.b``'s ``__init__``, so that
package is an edge too (except for the importer's own ancestors, which Python runs first).
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import shutil

import pytest

import glassgrad

PACKAGE = pathlib.Path(glassgrad.__file__).parent
ROOT = PACKAGE.parents[1]

#: Layers, lowest first: a module may import its own layer and the ones before it, never a
#: later one. A module's longest matching prefix places it.
LAYERS = [
    (
        "numbers and kernels",
        (
            "glassgrad._backend",
            "glassgrad._dtypes",
            "glassgrad._kernels",
            "glassgrad._warn",
            "glassgrad._formula",
        ),
    ),
    (
        "tensor fields, creation, the autograd graph and engine",
        (
            "glassgrad._tensor_base",
            "glassgrad._random",
            "glassgrad._creation",
            "glassgrad._printing",
            "glassgrad.autograd",
        ),
    ),
    (
        "ops",
        (
            "glassgrad.ops",
            "glassgrad._composite",
            "glassgrad._functions",
            "glassgrad.autograd.functional",
        ),
    ),
    ("Tensor", ("glassgrad._tensor", "glassgrad._legacy")),
    (
        "libraries on Tensor",
        (
            "glassgrad.nn",
            "glassgrad.optim",
            "glassgrad.utils",
            "glassgrad.linalg",
            "glassgrad.testing",
            "glassgrad.serialization",
            "glassgrad._checkpoint",
            "glassgrad.safetensors",
            "glassgrad.datasets",
            "glassgrad.accelerator",
            "glassgrad.backends",
            "glassgrad.cuda",
        ),
    ),
    ("seeing and speeding", ("glassgrad.viz", "glassgrad._compile")),
    ("teaching", ("glassgrad.demo",)),
    ("command line", ("glassgrad.cli", "glassgrad.__main__")),
    ("namespace", ("glassgrad",)),
]

#: The only imports of glassgrad inside functions: (importer, imported) -> why it waits.
LATE_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("glassgrad.ops._dual", "glassgrad.ops.elementwise"): (
        "the create_graph path of the backward formulas' where(): elementwise's own backward "
        "formulas use _dual, so _dual sits below the where() op it calls there"
    ),
    ("glassgrad.optim.optimizer", "glassgrad.viz.optim_explain"): (
        "Optimizer.explain_step(), PyTorch-style API on the optimizer, is written by viz, which "
        "sits above optim (and loads ~20 ms of modules training never needs)"
    ),
}


def _module_names() -> dict[str, pathlib.Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _targets(module: str, path: pathlib.Path, node) -> list[str]:
    """The glassgrad modules an import statement loads (packages on the way included)."""
    if isinstance(node, ast.Import):
        named = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join(package + ([node.module] if node.module else []))
        named = [base] + [f"{base}.{alias.name}" for alias in node.names]
    found = set()
    for name in named:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            candidate = ".".join(parts[:end])
            if (
                candidate in MODULES
                and not module.startswith(candidate + ".")
                and candidate != module
            ):
                found.add(candidate)
    return sorted(found)


def _is_type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(module: str, path: pathlib.Path):
    """(module-level targets, [(function-level target, line)])."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top, late, skipped = set(), [], set()
    for statement in tree.body:
        if _is_type_checking(statement):
            skipped.update(id(n) for n in ast.walk(statement))
            continue
        for node in (
            ast.walk(statement) if isinstance(statement, (ast.If, ast.Try)) else [statement]
        ):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                top.add(id(node))
    edges, late = set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skipped:
            targets = _targets(module, path, node)
            if id(node) in top:
                edges.update(targets)
            elif targets:
                late.append((max(targets, key=len), node.lineno))  # the module it names
    return edges, late


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> int:
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    if not matches:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {__file__}")
    return max(matches)[1]


def _cycles(edges: dict[str, set]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], [0]
    for root, children_of_root in edges.items():
        if root in index:
            continue
        work = [(root, iter(sorted(children_of_root)))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_no_module_level_import_cycles():
    assert _cycles({m: edges for m, (edges, _) in GRAPH.items()}) == []


def test_layers_point_one_way():
    upward = [
        f"{module} ({LAYERS[_layer(module)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
        for module, (edges, _) in GRAPH.items()
        for target in edges
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_function_level_imports_are_few_and_explained():
    found = {(m, target) for m, (_, late) in GRAPH.items() for target, _ in late}
    unexplained = sorted(found - set(LATE_IMPORTS_ALLOWED))
    assert unexplained == [], "import these at module level, or explain them in the allow-list"
    assert sorted(set(LATE_IMPORTS_ALLOWED) - found) == [], "stale allow-list entries"
    assert len(LATE_IMPORTS_ALLOWED) <= 15


def test_hasattr_on_the_namespace_never_raises():
    for name in ("testing", "functional", "nope", "explain", "save", "_private", "__dunder__"):
        hasattr(glassgrad, name)
    assert not hasattr(glassgrad, "functional")
    assert hasattr(glassgrad, "testing") and hasattr(glassgrad, "save")


def test_all_names_resolve():
    missing = [name for name in glassgrad.__all__ if not hasattr(glassgrad, name)]
    assert missing == []
    assert len(set(glassgrad.__all__)) == len(glassgrad.__all__)


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (ROOT / ".venv/bin/ruff").exists(),
    reason="the generator formats with ruff, which is not installed",
)
def test_generated_api_is_current():
    """Tensor's op methods and glassgrad's op functions are written out from the ops' @api
    declarations by tools/gen_api.py; after changing a declaration, run it."""
    spec = importlib.util.spec_from_file_location("gen_api", ROOT / "tools" / "gen_api.py")
    if spec is None or not (ROOT / "tools" / "gen_api.py").exists():
        pytest.skip("tools/gen_api.py is not beside this checkout")
    gen_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_api)
    assert gen_api.stale() == [], "run: python tools/gen_api.py"
