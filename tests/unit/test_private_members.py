"""Nothing in the packages reaches into another object's private members (``obj._name``, ``getattr(obj, "_name")``):
what one class needs from another is public API. ``self``/``cls`` are the object's own."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cmrt", "handlers", "mail", "store")

#: (file, member): a third-party object with no public way to the same thing, each with its reason.
ALLOWED = {
    # imapclient keeps untagged replies it does not return in its imaplib connection and offers no accessor
    ("mail/imap.py", "_imap"),
    ("bot/app.py", "_exit"),  # os._exit: the documented way to end a process at once
}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _named_by_getattr(node: ast.AST) -> str | None:
    """``x`` of ``getattr(obj, "x", ...)`` or ``hasattr(obj, "x")``."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) >= 2):
        return None
    name = node.args[1]
    if node.func.id in ("getattr", "hasattr") and isinstance(name, ast.Constant) and isinstance(name.value, str):
        return name.value
    return None


def _reaches(path: pathlib.Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append((node.lineno, node.attr))
        elif (name := _named_by_getattr(node)) is not None and _private(name):
            found.append((node.lineno, name))
    return found


def test_no_object_reaches_into_another_objects_private_members() -> None:
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            offenders += [f"{rel}:{line} {name}" for line, name in _reaches(path) if (rel, name) not in ALLOWED]
    assert offenders == []
