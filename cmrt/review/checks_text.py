"""Checks on what suppliers type: cells too long to survive other tools, and "conflict-free" claims."""

from __future__ import annotations

import re
from collections.abc import Iterator

from cmrt.declaration import Declaration, QuestionTopic
from cmrt.review.checks_minerals import response_full
from cmrt.review.checks_smelters import _id
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import (
    DECLARATION,
    PRODUCT_LIST,
    SMELTER_LIST,
    blank,
    check,
    finding,
    is_yes,
    minerals_in_scope,
    quote,
    rows_with_data,
)
from cmrt.review.texts import Text, and_joined, metal, term, txt
from cmrt.smelters.text import metal_key

MAX_CELL = 255

# Fields that name or identify something: over 255 characters they hold a pasted list or text, not the value.
# Comments, scope descriptions and the mine lists may be long by nature and are not checked.
_COMPANY_FIELDS = (
    ("company.name", term("company name")), ("company.unique_id", term("company unique id")),
    ("company.unique_id_authority", term("unique id authority")), ("company.address", term("address")),
    ("company.contact.name", term("contact name")), ("company.contact.email", term("contact e-mail")),
    ("company.contact.phone", term("contact phone")), ("company.authorizer.name", term("authorizer")),
    ("company.authorizer.title", term("authorizer title")), ("company.authorizer.email", term("authorizer e-mail")),
    ("company.authorizer.phone", term("authorizer phone")),
)  # fmt: skip
_SMELTER_FIELDS = (("lookup", term("Smelter Look-up value")), ("name", term("smelter name")),
                   ("country", term("country")), ("smelter_id", term("smelter id")), ("id_source", term("id source")),
                   ("street", term("street")), ("city", term("city")), ("state", term("state or province")),
                   ("contact_name", term("contact name")), ("contact_email", term("contact e-mail")))  # fmt: skip
_PRODUCT_FIELDS = (("number", term("product number")), ("name", term("product name")),
                   ("requester_number", term("requester number")))


def _company_value(d: Declaration, path: str) -> object:
    value: object = d.company
    for part in path.split(".")[1:]:
        value = getattr(value, part, None)
    return value


@check(
    "text.cell_too_long",
    title="Cell longer than 255 characters",
    severity=Severity.CLARIFY,
    area="text",
    rationale="Excel 97-2003, data-validation lists and many compliance tools keep only 255 characters of a "
    "cell. A name, id, address or contact that long is a list or a paragraph pasted into one cell, and it will "
    "be cut when the workbook is passed on. Comments, the description of scope and the mine lists may be long "
    "and are not checked.",
    message="the {field} is {length} characters long; the template's cells hold 255",
    sources="Assent A5; review notes §3 A3",
)
def cell_too_long(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for path, name in _COMPANY_FIELDS:
        value = _company_value(d, path)
        if isinstance(value, str) and len(value) > MAX_CELL:
            sheet, cell = d.cell(path)
            out.append(finding("text.cell_too_long", txt(
                "the %(field)s is %(length)s characters long; a cell keeps %(max)s in many tools, please shorten it",
                field=name, length=len(value), max=MAX_CELL), sheet or DECLARATION, cell))
    for kind, rows, fields, columns, sheet in (
        (term("smelter"), rows_with_data(d), _SMELTER_FIELDS, d.smelter_columns, SMELTER_LIST),
        (term("product"), d.products, _PRODUCT_FIELDS, d.product_columns, PRODUCT_LIST),
    ):
        for row in rows:
            long = [(field, name, value) for field, name in fields
                    if isinstance(value := getattr(row, field, None), str) and len(value) > MAX_CELL]
            if not long:
                continue
            field, _, value = long[0]
            names = and_joined([name for _, name, _ in long])
            column = columns.get(field)
            if len(long) == 1:
                text = txt("the %(fields)s of the %(kind)s row is over %(max)s characters (%(length)s); a cell keeps "
                           "%(max)s in many tools, please shorten it", fields=names, kind=kind, max=MAX_CELL,
                           length=len(value))
            else:
                text = txt("the %(fields)s of the %(kind)s row are over %(max)s characters (%(length)s); a cell "
                           "keeps %(max)s in many tools, please shorten it", fields=names, kind=kind, max=MAX_CELL,
                           length=len(value))
            out.append(finding("text.cell_too_long", text, sheet, f"{column}{row.row}" if column else None,
                               row=row.row))
    return out


# ------------------------------------------------------------------------------------- conflict-free claims

CONFLICT_FREE = re.compile(r"\bconflict[\s\-\u2010-\u2015]*free\b", re.IGNORECASE)


def _free_text(d: Declaration) -> Iterator[tuple[str, str | None, str]]:
    """(sheet, cell, text) of the supplier's free text about the declared material."""
    for key, per_mineral in d.answer_comments.items():
        for mineral, text in per_mineral.items():
            if text:
                sheet, cell = d.cell(f"answer_comments.{key}.{mineral}")
                yield sheet or DECLARATION, cell, text
    if d.company.scope_description:
        sheet, cell = d.cell("company.scope_description")
        yield sheet or DECLARATION, cell, d.company.scope_description
    for row in rows_with_data(d):
        if row.comments:
            column = d.smelter_columns.get("comments")
            yield SMELTER_LIST, f"{column}{row.row}" if column else None, row.comments
    for product in d.products:
        if product.comment:
            column = d.product_columns.get("comment")
            yield PRODUCT_LIST, f"{column}{product.row}" if column else None, product.comment


def unsupported_because(d: Declaration, ctx: ReviewContext) -> Text | None:
    """Why the declaration does not back a 'conflict-free' claim, or None when it does: every mineral in scope has
    all smelters identified, a 100 % supplier response and only smelters on RMI's Conformant list."""
    if ctx.rmap is None or not ctx.rmap.has_status_lists:
        return txt("there is no RMI Conformant list here to check it against")
    for mineral in minerals_in_scope(d):
        if not is_yes(d.answer(QuestionTopic.SMELTERS_IDENTIFIED, mineral)):
            return txt("the declaration does not say all %(mineral)s smelters are identified", mineral=metal(mineral))
        if response_full(d.answer(QuestionTopic.SUPPLIER_RESPONSE, mineral)) is not True:
            return txt("not all relevant suppliers answered for %(mineral)s", mineral=metal(mineral))
        rows = [r for r in rows_with_data(d) if metal_key(r.metal) == metal_key(mineral)]
        if not rows:
            return txt("no %(mineral)s smelter is listed", mineral=metal(mineral))
        outside = sorted({_id(r) or (r.lookup or r.name or "?") for r in rows
                          if not _id(r) or _id(r) not in ctx.rmap.conformant})  # fmt: skip
        if outside:
            return txt("%(mineral)s smelters not on RMI's Conformant list: %(smelters)s", mineral=metal(mineral),
                       smelters=", ".join(outside[:5]))
    return None


@check(
    "text.conflict_free_claim",
    title="'Conflict-free' claim the declaration does not support",
    severity=Severity.CLARIFY,
    area="text",
    rationale="'Conflict-free' (or 'DRC conflict-free') is a claim about every smelter in the supply chain. It "
    "stands only when all smelters are identified, every relevant supplier answered and every smelter is RMAP "
    "Conformant; otherwise the supplier is asked for its evidence. Reported once, where the claim first appears.",
    message="the comment claims the material is 'conflict-free' ({text}), but {why}",
    sources="AQ1 (unsupported conflict-free claims); SEC conflict minerals rule; review notes §3 G37",
)
def conflict_free_claim(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    claims = [(sheet, cell, text) for sheet, cell, text in _free_text(d) if CONFLICT_FREE.search(text)]
    if not claims or blank(claims[0][2]):
        return []
    why = unsupported_because(d, ctx)
    if why is None:
        return []
    sheet, cell, text = claims[0]
    if len(claims) > 2:
        said = txt("the comment %(value)s (and in %(more)s more cells) claims the material is conflict-free, but "
                   "%(why)s; please send the evidence for the claim (e.g. every smelter RMAP Conformant) or withdraw "
                   "it", value=quote(text, 80), more=len(claims) - 1, why=why)
    elif len(claims) == 2:
        said = txt("the comment %(value)s (and in %(more)s more cell) claims the material is conflict-free, but "
                   "%(why)s; please send the evidence for the claim (e.g. every smelter RMAP Conformant) or withdraw "
                   "it", value=quote(text, 80), more=1, why=why)
    else:
        said = txt("the comment %(value)s claims the material is conflict-free, but %(why)s; please send the "
                   "evidence for the claim (e.g. every smelter RMAP Conformant) or withdraw it", value=quote(text, 80),
                   why=why)
    return [finding("text.conflict_free_claim", said, sheet, cell, detail={"places": len(claims)})]
