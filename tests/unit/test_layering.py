"""The floors hold: ``cmrt`` stays pure (no database, network, Slack or sibling-package imports), lower floors never
import upper ones, and settings travel typed."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

FORBIDDEN = (
    "bot",
    "handlers",
    "mail",
    "store",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "slack_bolt",
    "slack_sdk",
    "imapclient",
    "imaplib",
    "smtplib",
    "socket",
    "apscheduler",
    "requests",
    "urllib.request",
    "http",
)


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_source_imports_nothing_forbidden() -> None:
    offenders = []
    for path in sorted((ROOT / "cmrt").rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_importing_domain_loads_no_io_library() -> None:
    code = (
        "import importlib, pkgutil, sys, cmrt\n"
        "for m in pkgutil.walk_packages(cmrt.__path__, 'cmrt.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in ('sqlalchemy', 'slack_bolt', 'slack_sdk', 'imapclient', 'smtplib', 'apscheduler',"
        " 'bot', 'handlers', 'mail', 'store') if n in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_lower_floors_do_not_import_upper_ones() -> None:
    """handlers may use cmrt/mail/store; mail and store never import bot or handlers."""
    rules = {"handlers": ("bot",), "mail": ("bot", "handlers"), "store": ("bot", "handlers", "mail")}
    offenders = []
    for package, banned in rules.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imports(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


SETTINGS_NAMES = re.compile(r"^(settings|config|cfg|conf|\w+_(settings|config|cfg|conf))$")


def _loose_settings_parameters(path: pathlib.Path) -> list[str]:
    """Parameters named like settings whose annotation is missing or ``Any`` (``typing.Any`` too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        for arg in params:
            if arg is None or not SETTINGS_NAMES.match(arg.arg):
                continue
            note = arg.annotation
            loose = note is None or ast.unparse(note).replace("typing.", "").strip("\"'") == "Any"
            if loose:
                name = getattr(node, "name", "<lambda>")
                found.append(f"{path.relative_to(ROOT)}:{arg.lineno} {name}({arg.arg})")
    return found


def test_settings_parameters_are_typed() -> None:
    """Settings travel as their typed classes (``bot.config``) or an adapter's own typed value, never as ``Any``."""
    offenders = []
    for package in ("bot", "handlers", "mail", "store", "cmrt"):
        for path in sorted((ROOT / package).rglob("*.py")):
            offenders.extend(_loose_settings_parameters(path))
    assert offenders == []


PACKAGES = ("bot", "handlers", "mail", "store", "cmrt")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: pathlib.Path, me: str, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``me`` (at ``path``) imports when it runs: at module level or inside a
    function (a lazy import is still a dependency); not under ``if TYPE_CHECKING:``. ``from pkg import sub`` names
    the submodule."""
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: set[str] = set()

    def resolve(name: str) -> None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != me:
            found.add(name)

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                for alias in node.names:
                    resolve(alias.name)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    resolve(sub if sub in known else base)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    visit([child])
                elif isinstance(child, ast.excepthandler):
                    visit(child.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return circles


def test_no_import_circles_inside_a_package() -> None:
    """Within each package the modules import one another one way only (function-level imports count)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    circles = []
    for package in PACKAGES:
        paths = {_module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}
        known = set(paths)
        graph = {name: _runtime_imports(path, name, known) for name, path in paths.items()}
        circles.extend(" <-> ".join(c) for c in _circles(graph))
    assert circles == []


def test_the_circle_rule_sees_a_lazy_import_and_not_a_typing_one(tmp_path: pathlib.Path) -> None:
    files = {
        "a": "from pkg.b import thing\n",
        "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.c\ndef f():\n    from pkg import a\n",
        "c": "import pkg.b\n",
    }
    known = {f"pkg.{name}" for name in files}
    graph = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text, encoding="utf-8")
        graph[f"pkg.{name}"] = _runtime_imports(path, f"pkg.{name}", known)
    assert _circles(graph) == [["pkg.a", "pkg.b"]]
