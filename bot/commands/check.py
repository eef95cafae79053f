"""``cmrt-bot check FILE... [--json] [--password P]``: read returned workbooks and show what they declare.

Human output is one summary per file; ``--json`` prints a JSON array with one object per file (schema in the
README). The exit status is 0 when every file was read, 1 otherwise. :func:`file_result` and :func:`file_json`
are the building blocks other commands reuse (``demo``; later ``--rmap`` and the ``review`` key).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import pathlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands._console import interactive, progress

if TYPE_CHECKING:  # the reader and the review load when a file is checked, not for `cmrt-bot --help`
    from bot.config import Settings
    from cmrt.declaration import Declaration
    from cmrt.workbook import ReadLimits, WorkbookError
    from cmrt.workbook.sheets import LookupRows

#: How many files ``check`` reads ahead of the one being reviewed.
READ_AHEAD = 2

#: Top-level keys of each ``--json`` object, in order (the README documents them).
JSON_KEYS = (
    "file", "template", "language", "company", "minerals", "answers", "company_questions", "smelters", "mines",
    "products", "checker_remaining", "warnings", "review", "error",
)  # fmt: skip
_COMPANY_KEYS = ("name", "scope", "scope_level", "scope_raw", "scope_description", "unique_id", "unique_id_authority",
                 "address", "contact", "authorizer", "effective_date")  # fmt: skip


@dataclass(frozen=True)
class FileResult:
    """One file's outcome: a declaration, or an error (code and message)."""

    file: str
    declaration: Declaration | None = None
    error: WorkbookError | None = None
    lookup: LookupRows | None = None  # the workbook's own smelter look-up sheet, when asked for (``with_lookup``)

    @property
    def ok(self) -> bool:
        return self.declaration is not None


def file_result(
    path: str | pathlib.Path,
    *,
    passwords: Sequence[str] = (),
    limits: ReadLimits | None = None,
    with_lookup: bool = False,
) -> FileResult:
    """One file read (in the reader's worker process); ``with_lookup``: its smelter look-up sheet's rows too, read
    in the same pass."""
    from cmrt.workbook import ReadLimits, WorkbookError, read_workbook
    from cmrt.workbook.read import read_workbook_and_lookup

    path = pathlib.Path(path)
    limits = limits or ReadLimits()
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise WorkbookError(
                "too_large",
                f"The file is {size / 1e6:.1f} MB; the reader accepts at most {limits.max_file_bytes / 1e6:.1f} MB.",
            )
        data = path.read_bytes()
    except WorkbookError as exc:
        return FileResult(str(path), error=exc)
    except OSError as exc:
        return FileResult(
            str(path), error=WorkbookError("file_unreadable", f"The file cannot be opened: {exc.strerror}.")
        )
    try:
        if with_lookup:
            declaration, lookup = read_workbook_and_lookup(data, filename=path.name, limits=limits,
                                                           passwords=passwords)  # fmt: skip
            return FileResult(str(path), declaration=declaration, lookup=lookup)
        return FileResult(
            str(path), declaration=read_workbook(data, filename=path.name, limits=limits, passwords=passwords)
        )
    except WorkbookError as exc:
        return FileResult(str(path), error=exc)


def file_json(result: FileResult) -> dict[str, Any]:
    """The ``--json`` object of one file (exactly ``JSON_KEYS``; reading errors leave the data keys empty)."""
    out: dict[str, Any] = dict.fromkeys(JSON_KEYS)
    out["file"] = result.file
    if result.declaration is None:
        out.update(template=None, minerals=[], answers={}, company_questions={}, smelters=[], mines=[], products=[],
                   warnings=[])  # fmt: skip
    else:
        data = result.declaration.to_json()
        data["company"] = {key: data["company"][key] for key in _COMPANY_KEYS}
        data["company_questions"] = {
            letter: {"answer": value["answer"], "comment": value["comment"]}
            | ({"link": value["link"]} if value.get("link") else {})
            | ({"per_mineral": value["per_mineral"]} if value["per_mineral"] else {})
            for letter, value in data["company_questions"].items()
        }
        for key in JSON_KEYS:
            if key in data:
                out[key] = data[key]
    out["error"] = None if result.error is None else {"code": result.error.code, "message": result.error.message}
    return out


def _in_scope(declaration: Declaration) -> list[str]:
    from cmrt.declaration import QuestionTopic

    key = declaration.question(QuestionTopic.INTENTIONALLY_ADDED) or declaration.question(QuestionTopic.NECESSARY)
    if key is None:
        return list(declaration.minerals)
    answers = declaration.answers.get(key, {})
    return [m for m in declaration.minerals if answers.get(m) == "Yes"]


def summary(result: FileResult) -> str:
    """A few lines a compliance analyst reads at a glance."""
    name = pathlib.Path(result.file).name
    if result.declaration is None:
        assert result.error is not None
        return f"{name}: NOT READ ({result.error.code}) - {result.error.message}"
    d = result.declaration
    c = d.company
    template = f"{d.template.family.value if d.template.family else '?'} {d.template.version or '?'}"
    lines = [f"{name}: {template} ({d.language or 'language unknown'}) - {c.name or '(no company name)'}"]
    scope = c.scope.value if c.scope else "not given"
    effective = c.effective_date.isoformat() if c.effective_date else (c.effective_date_raw or "not given")
    lines.append(f"  scope: {scope}" + (f" ({c.scope_description})" if c.scope_description else "") +
                 f"; effective date: {effective}")  # fmt: skip
    lines.append(
        f"  contact: {c.contact.name or '-'} <{c.contact.email or '-'}>; authorizer: {c.authorizer.name or '-'}"
    )
    in_scope = _in_scope(d)
    lines.append(f"  minerals: {', '.join(d.minerals) or '-'}; declared as used: {', '.join(in_scope) or 'none'}")
    answered = sum(1 for per in d.answers.values() for v in per.values() if v)
    lines.append(
        f"  answers: {answered} mineral answers, {sum(1 for a in d.company_questions.values() if a.answer)}"
        f"/{len(d.company_questions)} company questions; smelters: {len(d.smelters)}"
        + (f"; mines: {len(d.mines)}" if d.mines else "")
        + f"; products: {len(d.products)}"
        + ("" if d.checker_remaining is None else f"; Checker: {d.checker_remaining} required fields remaining")
    )
    for warning in d.warnings:
        where = f" [{warning.sheet}!{warning.cell}]" if warning.sheet and warning.cell else ""
        lines.append(f"  warning: {warning.message}{where}")
    return "\n".join(lines)


def check_paths(
    paths: Sequence[str | pathlib.Path],
    *,
    as_json: bool,
    passwords: Sequence[str] = (),
    out: Any = None,
    rmap: Sequence[Any] = (),
    today: dt.date | None = None,
    limits: ReadLimits | None = None,
    review_options: dict[str, Any] | None = None,
) -> int:
    """``rmap``: imported RMI lists (``cmrt.smelters.RmiList``) for the ``review`` of each file;
    ``review_options``: further ``cmrt.review.adhoc.context_for`` arguments (a campaign's overrides).

    The files are read (and their own smelter look-ups, when the review needs them) in a thread, in the reader's
    worker process, while this thread imports the review: the two overlap, and the reads run ahead of the reviews."""
    import collections
    from concurrent.futures import Future, ThreadPoolExecutor

    out = out or sys.stdout
    today = today or dt.date.today()
    options = review_options or {}
    results: list[FileResult] = []
    reviews = {}
    show = len(paths) > 1 and out is sys.stdout and interactive(as_json=as_json)
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cmrt-check-read")
    try:
        waiting = iter(paths)
        reads: collections.deque[Future[tuple[FileResult, Any]]] = collections.deque()

        def read_ahead() -> None:  # at most READ_AHEAD files read and not yet reviewed (their references held)
            while len(reads) < READ_AHEAD and (ahead := next(waiting, None)) is not None:
                reads.append(reader.submit(_read_for_review, ahead, passwords, limits, rmap))

        read_ahead()
        from handlers.smelters import review_for_file

        with progress("checking workbooks", len(paths), show=show) as steps:
            for path in paths:
                steps.update(label=f"checking {pathlib.Path(path).name}")
                result, reference = reads.popleft().result()
                read_ahead()
                results.append(result)
                if result.declaration is not None:
                    reviews[result.file] = review_for_file(result.file, result.declaration, rmap, today,
                                                           reference=reference, **options)  # fmt: skip
                steps.advance()
    finally:
        reader.shutdown(wait=False, cancel_futures=True)
    if as_json:
        objects = [file_json(r) for r in results]
        for obj in objects:
            reviewed = reviews.get(obj["file"])
            obj["review"] = reviewed.to_json() if reviewed is not None else None
        json.dump(objects, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        from handlers.smelters import review_summary

        for index, result in enumerate(results):
            if index:
                out.write("\n")
            out.write(summary(result) + "\n")
            reviewed = reviews.get(result.file)
            if reviewed is not None:
                out.write(review_summary(reviewed) + "\n")
    return 0 if all(r.ok for r in results) else 1


def _read_for_review(
    path: str | pathlib.Path, passwords: Sequence[str], limits: ReadLimits | None, rmap: Sequence[Any]
) -> tuple[FileResult, Any]:
    """One file read, and the smelter reference its review uses (``handlers.smelters.workbook_reference``: the
    workbook's own look-up, read in the same pass, unless ``rmap`` holds RMI's reference)."""
    result = file_result(path, passwords=passwords, limits=limits, with_lookup=not _has_reference(rmap))
    if result.declaration is None:
        return result, None
    from handlers.smelters import workbook_reference

    return dataclasses.replace(result, lookup=None), workbook_reference(result.lookup, rmap)  # rows: not kept


def _has_reference(rmap: Sequence[Any]) -> bool:
    """Whether RMI's reference export is among the ``--rmap`` lists (then the workbook's own look-up is not used)."""
    if not rmap:
        return False  # nothing to look at: the lists' code is not loaded for it
    from cmrt.smelters import ListKind

    return any(item.kind is ListKind.REFERENCE for item in rmap)


def run(args: argparse.Namespace) -> int:
    from cmrt.workbook import ReadLimits
    from cmrt.workbook.isolation import prestart

    # the reader's worker process boots (imports the reader) while this one loads the configuration and the review
    prestart(ReadLimits())
    settings = configured_settings(getattr(args, "config", None))
    limits = ReadLimits()
    passwords: tuple[str, ...] = ()
    options: dict[str, Any] | None = None
    if settings is not None:
        limits, passwords = settings.reader.read_limits(), tuple(settings.reader.passwords)
        if settings.review.overrides:
            options = {"overrides": dict(settings.review.overrides)}
    rmap: list[Any] = []
    if args.rmap:  # else the review's code loads in check_paths, while the first file is read
        from cmrt.smelters import RmiImportError
        from handlers.smelters import load_rmi_paths

        try:
            rmap = list(load_rmi_paths(args.rmap))
        except RmiImportError as exc:
            print(f"cmrt-bot check: --rmap {exc}", file=sys.stderr)
            return 2
    passwords = (*(args.password or ()), *passwords)
    if getattr(args, "campaign", None) is not None:
        from bot.commands._common import CommandError

        try:
            options = campaign_review_options(getattr(args, "config", None), args.campaign)
        except CommandError as exc:
            print(f"cmrt-bot check: --campaign {args.campaign}: {exc}", file=sys.stderr)
            return exc.code
    if getattr(args, "previous", None):
        previous = file_result(args.previous, passwords=passwords, limits=limits)
        if previous.declaration is None:
            assert previous.error is not None
            print(f"cmrt-bot check: --previous {args.previous}: {previous.error.message}", file=sys.stderr)
            return 2
        options = {**(options or {}), "previous": previous.declaration,
                   "previous_label": pathlib.Path(args.previous).name}
    return check_paths(args.files, as_json=args.json, passwords=passwords, rmap=rmap, limits=limits,
                       review_options=options)


def campaign_review_options(config_path: str | None, year: int) -> dict[str, Any]:
    """The review a campaign's requests get: its effective overrides (``[review.overrides]``, then
    ``[review.campaigns."YEAR"]``, then the campaign's own) and its template, version and scope requirements.
    A year with only a configuration table (no campaign in the database) gets the overrides alone."""
    from bot.commands._common import CommandError, open_database, settings_from
    from handlers.review_context import effective_overrides
    from store import campaigns

    settings = settings_from(argparse.Namespace(config=config_path))
    with open_database(settings) as db, db.session() as session:
        campaign = campaigns.get_by_year(session, year)
        if campaign is None and str(year) not in settings.review.campaigns:
            raise CommandError(f"no campaign for reporting year {year} (see `cmrt-bot campaign list`)")
        options: dict[str, Any] = {
            "overrides": effective_overrides(settings.review.overrides, settings.review.campaigns, campaign, year),
            "reporting_year": year,
        }
        if campaign is not None:
            options.update(required_family=campaign.template_family, min_version=campaign.min_template_version,
                           requested_scope=campaign.scope)
    return options


def configured_settings(config_path: str | None) -> Settings | None:
    """The configuration, whose ``[reader]`` limits and passwords and ``[review.overrides]`` apply to ``check``;
    None (with a note on stderr) when it is invalid, so a broken file never stops a quick look at a workbook."""
    from bot.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        print(f"cmrt-bot check: configuration not used ({exc}); reading with the default limits", file=sys.stderr)
        return None


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "check",
        parents=[common],
        help="read returned CMRT/EMRT/CRT/AMRT workbooks and show what they declare",
        description="Read returned reporting templates (.xlsx, .xlsm, .xls; encrypted with Excel's default password"
        " too) and print one summary per file, or a JSON array with --json.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="workbook(s) to read")
    parser.add_argument("--json", action="store_true", help="print a JSON array, one object per file")
    parser.add_argument(
        "--password", action="append", metavar="P", help="extra password to try on encrypted files (repeatable)"
    )
    parser.add_argument(
        "--rmap",
        action="append",
        metavar="FILE",
        help="RMI list to review smelters against (RMAP Conformant/"
        "Active, revisions or reference export, Excel 2003 XML or CSV; repeatable)",
    )
    parser.add_argument(
        "--campaign",
        type=int,
        metavar="YEAR",
        help="review as for this campaign: its review overrides (configuration's, then the campaign's own) and "
        "its template, version and scope requirements (needs the database)",
    )
    parser.add_argument(
        "--previous",
        metavar="FILE",
        help="the supplier's last accepted declaration (a workbook): the review also says what changed since "
        "(smelters added or dropped per metal, flipped answers, the scope, a policy URL gone)",
    )
    parser.set_defaults(func=run)
