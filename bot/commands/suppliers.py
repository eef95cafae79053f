"""``cmrt-bot suppliers import FILE`` (CSV or XLSX, idempotent), ``cmrt-bot suppliers list`` and
``cmrt-bot suppliers set-contact ID EMAIL [--cc ...]``.

Import: columns ``supplier_id``, ``name``, ``contact_email`` required (several addresses allowed, the first is the
primary contact), ``contact_name``, ``tier``, ``tags``, ``cc_emails``, ``language`` and ``domains`` optional (see
``cmrt.roster``); a column the file does not have leaves that value as it was. A known supplier id is updated, a
new one added, never duplicated; suppliers
missing from the file are left alone. Every rejected row is printed with its reason. One audit event records
who (the OS user) imported which file, when, and what changed. Exit status 0 when the file was read (even with
rejected rows), 1 when it could not be used, 2 for configuration or database problems.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
from typing import Any

from bot.commands._common import CommandError, open_database, os_actor, run_command, settings_from
from bot.commands._console import interactive, print_table, progress

PROGRESS_ROWS = 200  # smaller files are imported in well under a second: no bar
INSERT_BATCH = 5000  # new suppliers per executemany INSERT (the progress bar moves between batches)


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("suppliers", parents=[common], help="supplier list: import, list")
    sub = parser.add_subparsers(dest="suppliers_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import",
        parents=[common],
        help="import suppliers from a CSV or XLSX file (re-importing updates, never duplicates)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", metavar="FILE", help="CSV or XLSX file")
    imp.set_defaults(func=lambda a: run_command("suppliers import", a, do_import))
    lst = sub.add_parser("list", parents=[common], help="list suppliers and their contacts")
    lst.add_argument("--tag", help="only suppliers with this tag")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=lambda a: run_command("suppliers list", a, do_list))
    setc = sub.add_parser(
        "set-contact",
        parents=[common],
        help="change or add a supplier's contact address (e.g. replace one that bounces); audited",
        description="EMAIL becomes the supplier's primary contact (the addresses it replaces are kept, inactive, "
        "so their replies still match). --cc replaces the addresses copied on every e-mail (--cc '' for none). "
        "--add keeps the other contacts and adds EMAIL after them. A request whose e-mails bounced is chased again.",
    )
    setc.add_argument("supplier_id", metavar="ID", help="the supplier id of the supplier list")
    setc.add_argument("email", metavar="EMAIL", help="the new contact address (several: separated by commas)")
    setc.add_argument("--cc", action="append", metavar="EMAIL", help="an address to copy (repeatable)")
    setc.add_argument("--add", action="store_true", help="add EMAIL as another contact instead of replacing")
    setc.add_argument("--name", help="the contact's name")
    setc.add_argument("--language", help="also set the supplier's language (en, de, zh-Hans, ...; '' for default)")
    setc.set_defaults(func=lambda a: run_command("suppliers set-contact", a, do_set_contact))


def do_import(args: argparse.Namespace) -> int:
    from cmrt.roster import RosterError, parse_roster
    from handlers.bulk import no_cyclic_gc
    from store import audit, suppliers
    from store.states import Tier

    settings = settings_from(args)
    path = pathlib.Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        roster = parse_roster(data)
    except RosterError as exc:
        raise CommandError(f"{path.name}: {exc}") from None

    added: list[str] = []
    updated: list[str] = []
    unchanged = 0
    bar = progress(f"importing {path.name}", len(roster.entries),
                   show=interactive() and len(roster.entries) >= PROGRESS_ROWS)  # fmt: skip
    with open_database(settings) as db, db.session() as session, bar as steps, no_cyclic_gc():
        known = suppliers.known_rows(session)  # compared as plain rows: ORM objects only for what changes
        new: list[suppliers.SupplierData] = []
        changing: list[tuple[int, suppliers.SupplierData]] = []
        for entry in roster.entries:
            record = suppliers.SupplierData(
                external_id=entry.supplier_id,
                name=entry.name,
                contact_email=entry.contact_email,
                contact_name=entry.contact_name,
                tier=Tier(entry.tier),
                tags=entry.tags,
                contact_emails=entry.contacts,
                cc_emails=entry.cc_emails if "cc_emails" in roster.columns else None,
                language=(entry.language or "") if "language" in roster.columns else None,
                domains=entry.domains,
            )
            existing = known.get(entry.supplier_id)
            if existing is None:  # new suppliers are inserted in bulk below (the file has no repeated ids)
                new.append(record)
                continue
            if suppliers.would_change(existing, record):
                changing.append((existing.id, record))
                continue
            unchanged += 1
            steps.advance()
        for start in range(0, len(changing), INSERT_BATCH):
            chunk = changing[start : start + INSERT_BATCH]
            loaded = suppliers.load_many(session, [supplier_id for supplier_id, _ in chunk])
            for supplier_id, record in chunk:
                _, outcome = suppliers.upsert(session, record, loaded[supplier_id], lookup=False)
                if outcome == "updated":
                    updated.append(record.external_id)
                else:
                    unchanged += 1
            steps.advance(len(chunk))
        for start in range(0, len(new), INSERT_BATCH):
            batch = new[start : start + INSERT_BATCH]
            suppliers.add_many(session, batch)
            added += [record.external_id for record in batch]
            steps.advance(len(batch))
        audit.record(
            session,
            os_actor(),
            "suppliers.import",
            "supplier_file",
            path.name,
            {
                "file": str(path.resolve()),
                "sha256": hashlib.sha256(data).hexdigest(),
                "rows": len(roster.entries) + len(roster.rejected),
                "added": added,
                "updated": updated,
                "unchanged": unchanged,
                "rejected": [{"row": r.row, "reason": r.reason.value, "supplier_id": r.supplier_id}
                             for r in roster.rejected],
            },
        )

    rows = len(roster.entries) + len(roster.rejected)
    print(
        f"{path.name}: {rows} rows read; {len(added)} added, {len(updated)} updated, {unchanged} unchanged, "
        f"{len(roster.rejected)} rejected"
    )
    if roster.ignored_columns:
        print(f"ignored columns: {', '.join(roster.ignored_columns)}")
    if roster.rejected:
        print("rejected rows:")
        for r in roster.rejected:
            ident = f" ({r.supplier_id})" if r.supplier_id else ""
            print(f"  row {r.row}{ident}: {r.message}")
    return 0


def do_list(args: argparse.Namespace) -> int:
    from store import suppliers

    settings = settings_from(args)
    with open_database(settings) as db, db.session() as session:
        rows: list[dict[str, Any]] = []
        for s in suppliers.list_suppliers(session, tag=args.tag):
            contact = suppliers.primary_contact(s)
            rows.append(
                {
                    "supplier_id": s.external_id,
                    "name": s.name,
                    "tier": s.tier.value,
                    "tags": list(s.tags),
                    "contact_email": contact.email if contact else None,
                    "contact_name": contact.name if contact else None,
                    "contact_state": contact.state.value if contact else None,
                    "contacts": [{"email": c.email, "name": c.name, "state": c.state.value, "cc": c.cc}
                                 for c in suppliers.ordered_contacts(s)],
                    "language": s.language,
                }
            )
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no suppliers" + (f" tagged {args.tag!r}" if args.tag else "") + ": import some with "
              "`cmrt-bot suppliers import FILE`")
        return 0
    headers = ("SUPPLIER ID", "NAME", "TIER", "CONTACT", "STATE", "LANG", "TAGS")
    print_table(headers, [
        (r["supplier_id"], r["name"], r["tier"], r["contact_email"] or "-", r["contact_state"] or "-",
         r["language"] or "-", ",".join(r["tags"]))
        for r in rows
    ])  # fmt: skip
    print(f"{len(rows)} supplier(s)")
    return 0


def do_set_contact(args: argparse.Namespace) -> int:
    from cmrt.languages import UnknownLanguage, normalise
    from cmrt.roster import is_valid_email, split_addresses
    from store import suppliers

    settings = settings_from(args)
    emails = split_addresses(args.email)
    cc = None if args.cc is None else [a for item in args.cc for a in split_addresses(item)]
    bad = [a for a in [*emails, *(cc or [])] if not is_valid_email(a)]
    if not emails or bad:
        raise CommandError(f"not an e-mail address: {(bad or [args.email])[0]!r}")
    language: str | None = None
    if args.language is not None:
        try:
            language = normalise(args.language) if args.language.strip() else ""
        except UnknownLanguage as exc:
            raise CommandError(str(exc)) from None
    with open_database(settings) as db, db.session() as session:
        supplier = suppliers.get_by_external_id(session, args.supplier_id)
        if supplier is None:
            raise CommandError(f"no supplier with id {args.supplier_id!r} (see `cmrt-bot suppliers list`)")
        change = suppliers.change_contacts(
            session, supplier, emails, cc=cc, add=args.add, name=args.name, language=language, actor=os_actor()
        )
        summary = suppliers.describe(supplier)
    print(f"{args.supplier_id}: {summary}" + ("" if change.changed else " (unchanged)"))
    if change.resumed:
        print(f"chasing resumes for {change.resumed} request(s)")
    return 0
