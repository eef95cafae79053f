"""The supplier roster: a CSV or XLSX list of suppliers, parsed and validated row by row (bytes in, data out).

Columns (header names matched case-insensitively; spaces and hyphens count as underscores, so ``Supplier ID``
matches ``supplier_id``): ``supplier_id``, ``name``, ``contact_email`` required; ``contact_name``, ``tier``
(``direct``/``indirect``, default direct), ``tags`` (separated by commas, semicolons or ``|``), ``cc_emails`` and
``language`` optional. Other columns are ignored and listed in ``Roster.ignored_columns``.

``contact_email`` may hold several addresses (separated by commas, semicolons or spaces): the first is the primary
contact, the others are contacts too (requests go to all of them). ``cc_emails`` lists colleagues who get a copy.
``language`` is a BCP 47 tag of a language the bot writes (``cmrt.languages``: en, zh-Hans, zh-Hant, ja, ko, de,
fr, es, pt, it; ``de-DE`` or ``zh-CN`` are understood); empty means the configured default. ``domains`` lists the
supplier's own e-mail domains (separated by commas, semicolons or spaces; ``@`` and ``http(s)://`` prefixes dropped):
mail from them is known to come from the supplier.

A bad row never stops the import: it is set aside in ``Roster.rejected`` with its row number (as a
spreadsheet shows it; the header is row 1) and a reason a person can act on. Blank rows are skipped. The first
row with a given supplier id wins; later ones are rejected as duplicates. A file that cannot be read at all
(not CSV/XLSX, no header, required columns missing) raises ``RosterError``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from cmrt.languages import UnknownLanguage, normalise

REQUIRED_COLUMNS = ("supplier_id", "name", "contact_email")
OPTIONAL_COLUMNS = ("contact_name", "tier", "tags", "cc_emails", "language", "domains")
ALIASES = {
    "supplier": "supplier_id",
    "id": "supplier_id",
    "supplier_name": "name",
    "company": "name",
    "company_name": "name",
    "email": "contact_email",
    "e_mail": "contact_email",
    "contact_e_mail": "contact_email",
    "contact_emails": "contact_email",
    "cc": "cc_emails",
    "cc_email": "cc_emails",
    "lang": "language",
    "domain": "domains",
    "email_domains": "domains",
    "locale": "language",
}
TIERS = {"direct": "direct", "indirect": "indirect", "1": "direct", "2": "indirect", "tier_1": "direct",
         "tier_2": "indirect"}
MAX_ID_LENGTH = 100
MAX_NAME_LENGTH = 300

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)

_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class RejectReason(StrEnum):
    MISSING_ID = "missing_id"
    ID_TOO_LONG = "id_too_long"
    MISSING_NAME = "missing_name"
    MISSING_EMAIL = "missing_email"
    BAD_EMAIL = "bad_email"
    BAD_TIER = "bad_tier"
    BAD_LANGUAGE = "bad_language"
    BAD_DOMAIN = "bad_domain"
    DUPLICATE_IN_FILE = "duplicate_in_file"


class RosterError(ValueError):
    """The file cannot be used as a supplier list at all."""


@dataclass(frozen=True)
class RosterEntry:
    row: int
    supplier_id: str
    name: str
    contact_email: str  # the primary contact
    contact_name: str | None = None
    tier: str = "direct"
    tags: tuple[str, ...] = ()
    contact_emails: tuple[str, ...] = ()  # every address of the contact_email cell, the primary first
    cc_emails: tuple[str, ...] = ()
    language: str | None = None  # a tag of cmrt.languages.LANGUAGES; None: the configured default
    domains: tuple[str, ...] = ()  # the supplier's own e-mail domains, lower-cased

    @property
    def contacts(self) -> tuple[str, ...]:
        return self.contact_emails or (self.contact_email,)


@dataclass(frozen=True)
class RejectedRow:
    row: int
    reason: RejectReason
    message: str
    supplier_id: str | None = None


@dataclass(frozen=True)
class Roster:
    entries: tuple[RosterEntry, ...]
    rejected: tuple[RejectedRow, ...]
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> header as written
    ignored_columns: tuple[str, ...] = ()


def is_valid_email(address: str) -> bool:
    return len(address) <= 254 and bool(_EMAIL.match(address))


def normalise_header(text: str) -> str:
    key = re.sub(r"[\s\-]+", "_", text.strip().lower()).strip("_")
    return ALIASES.get(key, key)


def _cell_text(value: object) -> str:
    """A cell as text: integral floats lose their ``.0`` (ids typed as numbers), dates become ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\u00a0", " ").strip()


def read_table(data: bytes) -> list[list[str]]:
    """The rows of a CSV (any common delimiter and encoding) or of the first sheet of an XLSX/XLS file."""
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _read_workbook(data)
    if b"\x00" in data[:4096]:
        raise RosterError("this is neither a CSV file nor an Excel workbook")
    return _read_csv(data)


def _read_workbook(data: bytes) -> list[list[str]]:
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises several unrelated exception types for damaged files
        raise RosterError(f"the workbook cannot be read ({type(exc).__name__}: {exc})") from None
    return [[_cell_text(v) for v in row] for row in rows]


def _read_csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise RosterError("the CSV file is neither UTF-8 nor Windows-1252 text")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [[c.replace("\u00a0", " ").strip() for c in row] for row in reader]


def parse_roster(data: bytes) -> Roster:
    """Read and validate a supplier list; see the module documentation."""
    return validate_rows(read_table(data))


def validate_rows(rows: list[list[str]]) -> Roster:
    header_index = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_index is None:
        raise RosterError("the file is empty")
    header = rows[header_index]
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for pos, title in enumerate(header):
        if not title.strip():
            continue
        key = normalise_header(title)
        if key in REQUIRED_COLUMNS + OPTIONAL_COLUMNS and key not in positions:
            positions[key] = pos
            columns[key] = title.strip()
        else:
            ignored.append(title.strip())
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        found = ", ".join(t.strip() for t in header if t.strip()) or "none"
        raise RosterError(
            f"required column(s) missing: {', '.join(missing)} (the header row has: {found}; "
            f"required: {', '.join(REQUIRED_COLUMNS)}; optional: {', '.join(OPTIONAL_COLUMNS)})"
        )

    entries: list[RosterEntry] = []
    rejected: list[RejectedRow] = []
    first_row: dict[str, int] = {}
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        number = index + 1
        if not any(c.strip() for c in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            pos = positions.get(name)
            return row[pos].strip() if pos is not None and pos < len(row) else ""

        result = _validate(number, cell, first_row)
        if isinstance(result, RejectedRow):
            rejected.append(result)
        else:
            first_row[result.supplier_id.casefold()] = number
            entries.append(result)
    return Roster(tuple(entries), tuple(rejected), columns, tuple(ignored))


def _validate(number: int, get: Callable[[str], str], first_row: dict[str, int]) -> RosterEntry | RejectedRow:
    supplier_id = get("supplier_id")
    name = get("name")
    email = get("contact_email")
    if not supplier_id:
        return RejectedRow(number, RejectReason.MISSING_ID, "missing supplier id")
    if len(supplier_id) > MAX_ID_LENGTH:
        return RejectedRow(number, RejectReason.ID_TOO_LONG, f"supplier id longer than {MAX_ID_LENGTH} characters",
                           supplier_id[:40] + "…")
    if supplier_id.casefold() in first_row:
        return RejectedRow(
            number, RejectReason.DUPLICATE_IN_FILE,
            f"duplicate supplier id {supplier_id!r} in the file (first on row {first_row[supplier_id.casefold()]})",
            supplier_id,
        )
    if not name:
        return RejectedRow(number, RejectReason.MISSING_NAME, "missing supplier name", supplier_id)
    if not email:
        return RejectedRow(number, RejectReason.MISSING_EMAIL, "missing contact e-mail", supplier_id)
    emails = split_addresses(email)
    bad = [a for a in emails if not is_valid_email(a)]
    if bad or not emails:
        return RejectedRow(number, RejectReason.BAD_EMAIL, f"bad e-mail address {(bad or [email])[0]!r}", supplier_id)
    cc = [a for a in split_addresses(get("cc_emails")) if a.casefold() not in {e.casefold() for e in emails}]
    bad = [a for a in cc if not is_valid_email(a)]
    if bad:
        return RejectedRow(number, RejectReason.BAD_EMAIL, f"bad cc e-mail address {bad[0]!r}", supplier_id)
    language: str | None = None
    language_text = get("language")
    if language_text:
        try:
            language = normalise(language_text)
        except UnknownLanguage as exc:
            return RejectedRow(number, RejectReason.BAD_LANGUAGE, str(exc), supplier_id)
    domains: list[str] = []
    for part in re.split(r"[,;\s]+", get("domains").strip()):
        domain = re.sub(r"^(https?://)?(www\.)?@?", "", part.strip().lower()).rstrip("/.")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            return RejectedRow(number, RejectReason.BAD_DOMAIN, f"bad e-mail domain {part!r}", supplier_id)
        domains.append(domain)
    tier_text = get("tier")
    tier = TIERS.get(normalise_header(tier_text)) if tier_text else "direct"
    if tier is None:
        return RejectedRow(number, RejectReason.BAD_TIER, f"unknown tier {tier_text!r} (use direct or indirect)",
                           supplier_id)
    tags = tuple(dict.fromkeys(t.strip() for t in re.split(r"[,;|]", get("tags")) if t.strip()))
    contacts = tuple(dict.fromkeys(_lower_domain(a) for a in emails))
    return RosterEntry(
        row=number,
        supplier_id=supplier_id,
        name=name[:MAX_NAME_LENGTH],
        contact_email=contacts[0],
        contact_name=get("contact_name") or None,
        tier=tier,
        tags=tags,
        contact_emails=contacts,
        cc_emails=tuple(dict.fromkeys(_lower_domain(a) for a in cc)),
        language=language,
        domains=tuple(dict.fromkeys(domains)),
    )


def split_addresses(text: str) -> list[str]:
    """The addresses of one cell: separated by commas, semicolons or white space; ``mailto:`` and ``<>`` dropped."""
    out = []
    for part in re.split(r"[,;\s]+", text.strip()):
        part = part.strip().strip("<>")
        if part.lower().startswith("mailto:"):
            part = part[7:].strip()
        if part:
            out.append(part)
    return out


def _lower_domain(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
