"""Imports run one way, autograd < nn < visualize < chainrule, and no package imports
itself in a circle -- read statically from the source (ast), so a lazy import inside a
function counts as much as one at the top.  Imports under ``if TYPE_CHECKING:`` do not
count: they never run.  The checker is tested on small bad trees first, so it can fail."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple, Optional

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("autograd", "nn", "visualize", "chainrule")


class Import(NamedTuple):
    source: str  # the importing module, e.g. "autograd.value"
    target: str  # the imported module, e.g. "visualize.drawing"
    where: str  # "autograd/value.py:12"


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(root: Path, name: str) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) bodies."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(
                isinstance(n, ast.Name) and n.id == "TYPE_CHECKING"
                or isinstance(n, ast.Attribute) and n.attr == "TYPE_CHECKING"
                for n in ast.walk(node.test)):
            skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return skipped


def _targets(root: Path, source: str, is_package: bool, node: ast.AST) -> list[str]:
    """The modules an import statement (or importlib.import_module("...")) loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            package = source.split(".")
            if not is_package:
                package = package[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        # "from pkg import name" loads pkg.name when that is a module, else pkg itself
        return [f"{base}.{alias.name}" if is_module(root, f"{base}.{alias.name}") else base
                for alias in node.names]
    if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (isinstance(node.func, ast.Name) and node.func.id == "__import__"
                 or isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")):
        return [node.args[0].value]
    return []


def imports(root: Path, packages=LAYERS) -> list[Import]:
    """Every import in the packages' .py files, at any depth, except TYPE_CHECKING ones."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            skipped = _type_checking_only(tree)
            source = module_name(root, path)
            for node in ast.walk(tree):
                if id(node) in skipped:
                    continue
                for target in _targets(root, source, path.name == "__init__.py", node):
                    where = f"{path.relative_to(root).as_posix()}:{node.lineno}"
                    found.append(Import(source, target, where))
    return found


def upward_imports(found: list[Import], layers=LAYERS) -> list[str]:
    rank = {name: i for i, name in enumerate(layers)}
    problems = []
    for item in found:
        low, high = item.source.split(".")[0], item.target.split(".")[0]
        if high in rank and rank[high] > rank[low]:
            problems.append(f"{item.where}: {item.source} ({low}) imports {item.target} "
                            f"from a higher layer ({high})")
    return problems


def import_cycles(found: list[Import]) -> list[str]:
    """Cycles among the modules of one package (a package's __init__ is a module too)."""
    edges: dict[str, set[str]] = {}
    for item in found:
        if item.source.split(".")[0] == item.target.split(".")[0] and item.source != item.target:
            edges.setdefault(item.source, set()).add(item.target)
    cycles, state = [], {}  # state: 1 = on the current path, 2 = finished

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    return cycles


def check(root: Path, packages=LAYERS) -> list[str]:
    found = imports(root, packages)
    return upward_imports(found, packages) + [f"import cycle: {c}" for c in import_cycles(found)]


# --- the checker itself, on small trees made to be wrong -----------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in LAYERS:
        init = tmp_path / package / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text("")
    return tmp_path


def test_the_checker_finds_top_level_lazy_and_dynamic_upward_imports(tmp_path):
    root = _tree(tmp_path, {
        "autograd/value.py": "import math\nfrom visualize import draw\n",
        "autograd/lazy.py": "def show(v):\n    from visualize.drawing import to_svg\n"
                            "    return to_svg(v)\n",
        "autograd/dynamic.py": "import importlib\nnn = importlib.import_module('nn.modules')\n",
        "nn/modules.py": "from autograd import Value\nimport chainrule.cli\n",
        "visualize/drawing.py": "from nn import modules\nfrom autograd.value import Value\n",
    })
    problems = check(root)
    assert len(problems) == 4, problems
    assert any(p.startswith("autograd/value.py:2: autograd.value") for p in problems)
    assert any(p.startswith("autograd/lazy.py:2:") and "visualize.drawing" in p
               for p in problems)
    assert any(p.startswith("autograd/dynamic.py:2:") and "nn.modules" in p for p in problems)
    assert any(p.startswith("nn/modules.py:2:") and "chainrule" in p for p in problems)


def test_the_checker_ignores_type_checking_imports_and_docstrings(tmp_path):
    root = _tree(tmp_path, {
        "autograd/value.py": (
            '"""\n>>> from visualize import draw\n"""\n'
            "from typing import TYPE_CHECKING\nimport typing\n"
            "if TYPE_CHECKING:\n    from nn import MLP\n"
            "if typing.TYPE_CHECKING:\n    import visualize\n"
            "else:\n    import math\n"),
    })
    assert check(root) == []


def test_the_checker_finds_cycles_inside_a_package_lazy_ones_included(tmp_path):
    root = _tree(tmp_path, {
        "nn/modules.py": "from .serialize import save\n",
        "nn/serialize.py": "def load():\n    from nn.modules import MLP\n",
        "chainrule/cli.py": "from chainrule import train_cmd\n",
        "chainrule/train_cmd.py": "from . import common\n",
        "chainrule/common.py": "from .cli import main\n",
        "autograd/ok_a.py": "from . import ok_b\n",
        "autograd/ok_b.py": "import math\n",
    })
    cycles = [p for p in check(root) if p.startswith("import cycle")]
    assert sorted(cycles) == [
        "import cycle: chainrule.cli -> chainrule.train_cmd -> chainrule.common -> chainrule.cli",
        "import cycle: nn.modules -> nn.serialize -> nn.modules",
    ]


def test_a_module_importing_its_own_package_init_makes_a_cycle(tmp_path):
    root = _tree(tmp_path, {
        "autograd/__init__.py": "from .trace import table\n",
        "autograd/trace.py": "def table():\n    from autograd import Value\n",
    })
    assert check(root) == ["import cycle: autograd -> autograd.trace -> autograd"]


def _relative(tmp_path, source_file: str, text: str) -> list[Optional[str]]:
    files = {"autograd/tape/__init__.py": "", "autograd/tape/plan.py": "",
             "autograd/graph.py": ""}
    root = _tree(tmp_path, {**files, source_file: text})
    return [i.target for i in imports(root) if i.where.startswith(source_file)]


def test_relative_imports_resolve_from_modules_and_from_package_inits(tmp_path):
    assert _relative(tmp_path, "autograd/tape/compile.py",
                     "from .plan import x\nfrom ..graph import y\nfrom . import plan\n"
                     ) == ["autograd.tape.plan", "autograd.graph", "autograd.tape.plan"]
    assert _relative(tmp_path, "autograd/tape/__init__.py",
                     "from .plan import x\nfrom .. import graph\n"
                     ) == ["autograd.tape.plan", "autograd.graph"]


# --- the real tree -------------------------------------------------------------------


def test_no_module_imports_a_higher_layer():
    assert upward_imports(imports(ROOT)) == []


def test_no_package_imports_itself_in_a_circle():
    assert import_cycles(imports(ROOT)) == []
