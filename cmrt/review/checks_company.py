"""Checks on the company block (Checker parity and beyond) and the declaration scope."""

from __future__ import annotations

import datetime as dt
import re

from cmrt.declaration import Declaration, Family, Scope
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import (
    DECLARATION,
    PRODUCT_LIST,
    blank,
    check,
    effective_date,
    field_cell,
    finding,
    norm,
    quote,
)
from cmrt.review.texts import Param, Text, term, txt

# ---------------------------------------------------------------- company block (Checker parity)

_REQUIRED = (  # (path, label, value getter) as the template's own Checker (CMRT 3.01+/6.x) requires them
    ("company.name", term("company name")),
    ("company.scope", term("declaration scope")),
    ("company.contact.name", term("contact name")),
    ("company.contact.email", term("contact e-mail")),
    ("company.contact.phone", term("contact phone")),
    ("company.authorizer.name", term("authorizer")),
    ("company.authorizer.email", term("authorizer e-mail")),
    ("company.effective_date", term("effective date")),
)


def _value(d: Declaration, path: str) -> object:
    c = d.company
    return {
        "company.name": c.name,
        "company.scope": c.scope or c.scope_raw,
        "company.scope_description": c.scope_description,
        "company.contact.name": c.contact.name,
        "company.contact.email": c.contact.email,
        "company.contact.phone": c.contact.phone,
        "company.authorizer.name": c.authorizer.name,
        "company.authorizer.title": c.authorizer.title,
        "company.authorizer.email": c.authorizer.email,
        "company.authorizer.phone": c.authorizer.phone,
        "company.effective_date": c.effective_date or c.effective_date_raw,
    }[path]


def _required_fields(d: Declaration) -> list[tuple[str, Text]]:
    fields = list(_REQUIRED)
    version = d.template.version_tuple
    if d.template.family is Family.CMRT and version and version[0] == 3:
        fields.insert(7, ("company.authorizer.phone", term("authorizer phone")))  # mandatory in 3.01 only
    if d.template.family is Family.CMRT and version and version[0] < 3:
        fields = [f for f in fields if not f[0].startswith("company.contact.")]  # 2.x: one representative
    return fields


@check(
    "company.required_missing",
    title="Required company field missing",
    severity=Severity.CLARIFY,
    area="company",
    rationale="The template's own Checker requires these fields; an e-mail must at least contain '@'.",
    message="the {field} is missing",
    sources="template Checker rows 4-12; ddm B2.1",
    checker="company",
)
def required_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    version = d.template.version_tuple
    selects_minerals = d.template.family is Family.AMRT or (
        d.template.family is Family.EMRT and bool(version) and version[0] >= 2
    )
    if selects_minerals and not d.minerals:
        out.append(finding("company.required_missing", txt("no minerals or metals are selected in scope"),
                           DECLARATION, "D12"))
    for path, name in _required_fields(d):
        value = _value(d, path)
        sheet, cell = field_cell(d, path)
        if blank(value):
            out.append(finding("company.required_missing", txt("the %(field)s is missing", field=name), sheet, cell))
        elif path.endswith(".email") and "@" not in str(value):
            out.append(finding("company.required_missing", txt("the %(field)s %(value)s is not an e-mail address",
                                                               field=name, value=quote(value)), sheet, cell))
    return out


_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")

PLACEHOLDERS = frozenset(
    {"same", "same as above", "same as contact", "same as authorizer", "see above", "as above", "n/a", "na",
     "n.a.", "n. a.", "-", "--", "---", ".", "?", "x", "xx", "xxx", "tbd", "tba", "none", "nil", "null",
     "unknown", "test", "name", "e-mail", "email", "phone", "not applicable", "/", "0"}
)


def is_placeholder(value: object) -> bool:
    text = norm(value)
    return text in PLACEHOLDERS or text.startswith("same as")


def email_problem(value: str) -> Text | None:
    """Why ``value`` is not one valid address (None when it is)."""
    text = value.strip()
    if _EMAIL.match(text):
        return None
    local = text.split("@", 1)[0]
    if text.count("@") > 1 or ";" in text or " " in text:
        return term("give one address per field")
    if "," in local or "," in text:
        return term("it contains a comma; did you mean a dot?")
    if ".." in text:
        return term("it contains two dots in a row")
    return term("please check the spelling")


@check(
    "company.email_invalid",
    title="E-mail address not valid",
    severity=Severity.CLARIFY,
    area="company",
    rationale="The Checker only tests for '@'. A malformed address (a comma instead of a dot is a real case) "
    "makes every follow-up bounce.",
    message="the contact e-mail {value} is not a valid address",
    sources="real return (Central Glass 6.4); template Checker '@' test",
)
def email_invalid(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for path, name in (("company.contact.email", term("contact e-mail")),
                       ("company.authorizer.email", term("authorizer e-mail"))):
        value = _value(d, path)
        if blank(value) or is_placeholder(value) or "@" not in str(value):
            continue
        problem = email_problem(str(value))
        if problem:
            sheet, cell = field_cell(d, path)
            out.append(
                finding("company.email_invalid", txt("the %(field)s %(value)s is not a valid address (%(problem)s)",
                                                     field=name, value=quote(value), problem=problem), sheet, cell)
            )
    return out


@check(
    "company.placeholder",
    title="'same', 'N/A' or a placeholder in a company field",
    severity=Severity.CLARIFY,
    area="company",
    rationale="The instructions forbid 'same' for the authorizer; placeholders leave us without a contact.",
    message="the {field} says {value}; please give the real value",
    sources="ddm B2.3 ('Same'); template Instructions; review notes §3 B8",
)
def placeholder(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    fields = [*_required_fields(d), ("company.authorizer.title", term("authorizer title"))]
    for path, name in fields:
        if path in ("company.scope", "company.effective_date"):
            continue
        value = _value(d, path)
        if not blank(value) and is_placeholder(value):
            sheet, cell = field_cell(d, path)
            out.append(finding("company.placeholder", txt("the %(field)s says %(value)s; please give the real "
                                                          "%(field)s", field=name, value=quote(value)), sheet, cell))
    return out


@check(
    "company.effective_date_invalid",
    title="Effective date is not a date",
    severity=Severity.CLARIFY,
    area="company",
    rationale="A declaration without a readable date cannot be placed in a reporting year.",
    message="the effective date {value} is not a date",
    sources="real return (Honeywell 6.4 stores text); review notes §3 B7",
)
def effective_date_invalid(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    raw = d.company.effective_date_raw
    if d.company.effective_date is None and not blank(raw) and effective_date(d) is None:
        sheet, cell = field_cell(d, "company.effective_date")
        return [finding("company.effective_date_invalid", txt(
            "the effective date %(value)s is not a date (use DD-MMM-YYYY, e.g. 31-Mar-2025)", value=quote(raw)),
            sheet, cell)]
    return []


@check(
    "company.effective_date_future",
    title="Effective date in the future",
    severity=Severity.CLARIFY,
    area="company",
    rationale="A declaration cannot be effective before it was made; often a day/month swap.",
    message="the effective date {date} is in the future",
    sources="ddm B2.5; review notes §3 B7",
)
def effective_date_future(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    date = effective_date(d)
    if date is not None and date > ctx.today:
        sheet, cell = field_cell(d, "company.effective_date")
        return [finding("company.effective_date_future", txt("the effective date %(date)s is in the future",
                                                             date=date.strftime("%d-%b-%Y")), sheet, cell)]
    return []


EARLIEST = dt.date(2006, 12, 31)


@check(
    "company.effective_date_before_period",
    title="Effective date before the reporting period",
    severity=Severity.CLARIFY,
    area="company",
    rationale="A declaration dated before the reporting year describes an earlier supply chain; dates before "
    "31-Dec-2006 are impossible.",
    message="the effective date {date} is before the reporting year {year}",
    sources="cirscn (before 31-Dec-2006); Z1 (stale data); review notes §3 B7",
)
def effective_date_before_period(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    date = effective_date(d)
    if date is None:
        return []
    sheet, cell = field_cell(d, "company.effective_date")
    if date < EARLIEST:
        return [finding("company.effective_date_before_period", txt(
            "the effective date %(date)s cannot be right (before 31-Dec-2006)", date=date.strftime("%d-%b-%Y")),
            sheet, cell)]
    if ctx.reporting_year and date < dt.date(ctx.reporting_year, 1, 1):
        return [finding("company.effective_date_before_period", txt(
            "the effective date %(date)s is before the reporting year %(year)s; please send a declaration covering "
            "%(year)s", date=date.strftime("%d-%b-%Y"), year=ctx.reporting_year), sheet, cell)]
    return []


# ---------------------------------------------------------------- scope


@check(
    "scope.description_missing",
    title="User-defined scope without a description",
    severity=Severity.CLARIFY,
    area="scope",
    rationale="With scope C the declaration means nothing until the supplier says what it covers.",
    message="the scope is 'User defined' but the description of scope is empty",
    sources="template Checker row 6; ddm B2.4; cirscn",
    checker="company",
)
def description_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if d.company.scope is Scope.USER_DEFINED and blank(d.company.scope_description):
        sheet, cell = field_cell(d, "company.scope_description")
        printed = _PRINTED_LEVELS.get(d.company.scope_level or "", "User defined")
        return [finding("scope.description_missing", txt(
            "the scope is '%(scope)s' but the description of scope is empty; please say what the declaration covers",
            scope=printed), sheet, cell)]
    return []


@check(
    "scope.product_list_empty",
    title="Product scope without product numbers",
    severity=Severity.CLARIFY,
    area="scope",
    rationale="A product-level declaration covers only the products listed, and the template requires each "
    "product's number (its Checker looks for one in Product List B6); a name alone does not identify a part.",
    message="the scope is 'Product (or List of Products)' but the Product List gives no product number",
    sources="template Checker row 64 (3.01: row 61); ddm B1.9/B2.18; cirscn (number required); CXL2",
    checker="product",
)
def product_list_empty(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if d.company.scope is not Scope.PRODUCT:
        return []
    column = d.product_columns.get("number", "B")
    listed = [p for p in d.products if not blank(p.number) or not blank(p.name)]
    unnumbered = [p for p in listed if blank(p.number)]
    if not listed:
        text = txt("the scope is 'Product (or List of Products)' but the Product List is empty; please list the "
                   "products this declaration covers, each with its product number")
        return [finding("scope.product_list_empty", text, PRODUCT_LIST, f"{column}6")]
    if unnumbered:
        rows = ", ".join(str(p.row) for p in unnumbered[:10]) + (", ..." if len(unnumbered) > 10 else "")
        text = txt("the Product List names products without a product number (rows %(rows)s); the product number "
                   "is required", rows=rows) if len(unnumbered) > 1 else txt(
            "the Product List names products without a product number (row %(rows)s); the product number is "
            "required", rows=rows)
        return [finding("scope.product_list_empty", text, PRODUCT_LIST, f"{column}{unnumbered[0].row}")]
    if all(p.row != 6 for p in listed):
        text = txt("the Product List starts in row %(row)s; the template expects the first product number in row 6 "
                   "(its Checker counts the list as empty)", row=listed[0].row)
        return [finding("scope.product_list_empty", text, PRODUCT_LIST, f"{column}6")]
    return []


_SCOPE_NAMES = {Scope.COMPANY: "company", Scope.PRODUCT: "product", Scope.USER_DEFINED: "user-defined"}
_LEVEL_NAMES = {"division": "division", "product_category": "product-category"}  # CMRT 2.x levels
_PRINTED_LEVELS = {"division": "Division Level", "product_category": "Product Category Level"}
_LEVEL_TERMS: dict[str, Param] = {"company": term("company"), "product": term("product"),
                                  "user-defined": term("user-defined"), "division": term("division"),
                                  "product-category": term("product-category")}  # fmt: skip


@check(
    "scope.differs_from_request",
    title="Scope differs from the one requested",
    severity=Severity.CLARIFY,
    area="scope",
    rationale="We asked for a product-level (or company-level) declaration; a different scope may not cover "
    "the parts we buy.",
    message="we asked for a {requested}-level declaration but this one is {scope}-level",
    sources="Z1; APA2; Assent A2; review notes §3 C11-C12",
    needs="campaign",
)
def differs_from_request(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    requested = norm(ctx.requested_scope)
    scope = d.company.scope
    if not requested or scope is None or _SCOPE_NAMES[scope] == requested:
        return []
    level = _LEVEL_NAMES.get(d.company.scope_level or "", _SCOPE_NAMES[scope])
    sheet, cell = field_cell(d, "company.scope")
    requested_name, level_name = _LEVEL_TERMS.get(requested, requested), _LEVEL_TERMS.get(level, level)
    if requested == "product":
        text = txt("we asked for a %(requested)s-level declaration but this one is %(level)s-level; please send a "
                   "%(requested)s-level declaration covering the parts you supply to us (Product List tab), or "
                   "confirm that this one covers them", requested=requested_name, level=level_name)
    else:
        text = txt("we asked for a %(requested)s-level declaration but this one is %(level)s-level; please send a "
                   "%(requested)s-level declaration covering your whole company, or confirm that this one covers "
                   "them", requested=requested_name, level=level_name)
    return [finding("scope.differs_from_request", text,
                    sheet, cell)]
