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
