"""Checks on Smelter List rows, against the smelter reference and (when loaded) RMI's RMAP status lists."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cmrt.declaration import Declaration, SmelterRow
from cmrt.review.model import Finding, ReviewContext, Severity
from cmrt.review.registry import (
    blank,
    check,
    finding,
    norm,
    quote,
    rows_with_data,
    smelter_cell,
)
from cmrt.review.texts import Param, Text, and_joined, metal, term, txt
from cmrt.smelters.reference import MATCH_THRESHOLD, NOT_LISTED, NOT_YET_IDENTIFIED
from cmrt.smelters.text import country_key, is_cid, metal_key, normalise_cid

NAME_THRESHOLD = 0.6  # below this similarity a typed name does not fit the id


def _kind(row: SmelterRow) -> str:
    lookup = norm(row.lookup)
    if lookup == NOT_LISTED:
        return "not_listed"
    if lookup == NOT_YET_IDENTIFIED:
        return "not_yet"
    return "listed"


def _id(row: SmelterRow) -> str | None:
    return normalise_cid(row.smelter_id) if not blank(row.smelter_id) else None



def _f(check_id: str, d: Declaration, row: SmelterRow, field: str, message: Text | str,
       detail: dict[str, Any] | None = None) -> Finding:
    """A finding on a smelter row (``message``: ``txt`` for the supplier, plain text for a check the team sees)."""
    sheet, cell = smelter_cell(d, row, field)
    text: Text | str = message
    if not cell:
        text = txt("row %(row)s: %(text)s", row=row.row, text=message) if isinstance(message, Text) else (
            f"row {row.row}: {message}")
    return finding(check_id, text, sheet, cell, row=row.row, mineral=row.metal, detail=detail)


def percent(share: float) -> str:
    """``0.92`` -> ``92%`` (a confidence or a similarity in a message)."""
    return format(share, ".0%")


def _metal(row: SmelterRow) -> Param:
    """The row's metal as a parameter (in the supplier's language), "smelter" when the row has none."""
    return metal(row.metal) if row.metal else term("smelter")


@check(
    "smelter.metal_missing",
    title="Smelter row without a metal",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="A row without a metal cannot be matched to the reference list or counted.",
    message="the smelter row has no metal",
    sources="cirscn; ddm B2.16",
    supersedes=("smelter.few_key_fields",),
)
def metal_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    return [_f("smelter.metal_missing", d, r, "metal", txt("the smelter row has no metal; please select one"))
            for r in rows_with_data(d) if blank(r.metal)]


@check(
    "smelter.lookup_missing",
    title="Smelter row without a Smelter Look-up value",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="The Checker counts a row only when metal and look-up are filled.",
    message="the {metal} row has no Smelter Look-up value",
    sources="template Checker rows 65-68; cirscn",
    supersedes=("smelter.few_key_fields",),
)
def lookup_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        if blank(r.metal) or not blank(r.lookup):
            continue
        text, detail = txt("the %(metal)s row has no Smelter Look-up value; please select the smelter, 'Smelter not "
                           "listed' or 'Smelter not yet identified'", metal=metal(r.metal or "")), None
        if ctx.reference is not None and not _id(r) and not blank(r.name):
            match = ctx.reference.match(r.metal, r.name, r.country)
            if match is not None and match.confidence >= MATCH_THRESHOLD:
                text = txt("the %(metal)s row has no Smelter Look-up value (%(name)s looks like RMI's %(alias)s, "
                           "%(cid)s, match confidence %(confidence)s); please select the smelter, 'Smelter not "
                           "listed' or 'Smelter not yet identified'", metal=metal(r.metal or ""), name=quote(r.name),
                           alias=quote(match.entry.alias), cid=match.entry.smelter_id,
                           confidence=percent(match.confidence))
                detail = {"candidate_id": match.entry.smelter_id, "candidate_name": match.entry.standard_name,
                          "confidence": match.confidence, "method": match.method}
        out.append(_f("smelter.lookup_missing", d, r, "lookup", text, detail))
    return out


@check(
    "smelter.not_yet_identified",
    title="'Smelter not yet identified'",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="An unidentified smelter leaves a gap in the reasonable country-of-origin inquiry.",
    message="the {metal} smelter is 'not yet identified'",
    sources="ddm B2.16; review notes §3 F27",
    supersedes=("smelter.few_key_fields",),
)
def not_yet_identified(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    return [_f("smelter.not_yet_identified", d, r, "lookup", txt(
        "the %(metal)s smelter is 'not yet identified'; please identify it with your supplier",
        metal=metal(r.metal or "")))
            for r in rows_with_data(d) if _kind(r) == "not_yet"]


@check(
    "smelter.not_listed_incomplete",
    title="'Smelter not listed' without name or country",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="A smelter outside the reference list needs at least a name and a country to be researched.",
    message="'Smelter not listed' without the smelter's name or country",
    sources="template Checker row 69; ddm B1.8/B2.16; cirscn",
    checker="smelter",
    supersedes=("smelter.few_key_fields",),
)
def not_listed_incomplete(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        if _kind(r) != "not_listed":
            continue
        missing = [label for label, value in ((term("name"), r.name), (term("country"), r.country)) if blank(value)]
        if missing:
            field = "name" if blank(r.name) else "country"
            text = txt("'Smelter not listed' is selected but the smelter %(fields)s is empty", fields=missing[0]) if (
                len(missing) == 1) else txt("'Smelter not listed' is selected but the smelter %(fields)s are empty",
                                            fields=and_joined(missing))  # fmt: skip
            out.append(_f("smelter.not_listed_incomplete", d, r, field, text))
    return out


_PLACEHOLDER_FIELDS = (("name", term("smelter name")), ("country", term("country")),
                       ("lookup", term("Smelter Look-up value")), ("smelter_id", term("smelter id")),
                       ("id_source", term("id source")), ("street", term("street")), ("city", term("city")),
                       ("state", term("state or province")), ("contact_name", term("contact name")),
                       ("contact_email", term("contact e-mail")))  # fmt: skip
ENTER_DETAILS = "enter smelter details"


def _placeholder(row: SmelterRow, field: str) -> str | None:
    """A template prompt left where data belongs: "Enter smelter details" (shown by the id-source formula of a
    'Smelter not listed' row, so only elsewhere), or "!" marks."""
    value = getattr(row, field)
    if not isinstance(value, str) or not value:
        return None
    if "!" in value:  # cheap tests first: this runs for every field of every row
        return value if set(value.strip()) == {"!"} else None
    if len(value) < len(ENTER_DETAILS) or value.lstrip()[:1] not in ("E", "e") or norm(value) != ENTER_DETAILS:
        return None
    return None if field == "id_source" and _kind(row) == "not_listed" else value


@check(
    "smelter.placeholder_left",
    title="Template placeholder left in a smelter row",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="'Enter smelter details' (outside the id-source column of a 'Smelter not listed' row, where the "
    "template's formula shows it) or '!' in a name, country or address cell is a prompt the supplier did not "
    "replace: the row has no real data there, and a fuzzy match on '!' would only mislead.",
    message="the {field} of the {metal} row still says {value}",
    sources="cirscn (review notes §3 F28)",
    supersedes=("smelter.not_listed", "smelter.few_key_fields", "smelter.name_inconsistent",
                "smelter.country_inconsistent", "smelter.lookup_inconsistent"),
)
def placeholder_left(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        left = [(field, text, _placeholder(r, field)) for field, text in _PLACEHOLDER_FIELDS]
        left = [(field, text, value) for field, text, value in left if value is not None]
        if not left:
            continue
        field, _, value = left[0]
        names = and_joined([text for _, text, _ in left])
        if len(left) == 1:
            text = txt("the %(fields)s of the %(metal)s row still says %(value)s, a template placeholder; please "
                       "enter the smelter's real %(fields)s", fields=names, metal=_metal(r), value=quote(value))
        else:
            text = txt("the %(fields)s of the %(metal)s row still say %(value)s, a template placeholder; please "
                       "enter the smelter's real %(fields)s", fields=names, metal=_metal(r), value=quote(value))
        out.append(_f("smelter.placeholder_left", d, r, field, text, {"fields": [f for f, _, _ in left]}))
    return out


@check(
    "smelter.not_listed",
    title="Smelter not on the reference list (match proposed)",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="A 'not listed' smelter may be a trader, a misspelt listed smelter or a new facility; a fuzzy "
    "match by metal, country and name proposes the likely CID with a confidence.",
    message="{name} ({country}) is not on the RMI list; it looks like {candidate} ({cid}, {confidence})",
    sources="R1; ddm consolidation; review notes §3 F31, F34",
    needs="reference",
)
def not_listed(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    out: list[Finding] = []
    for r in rows_with_data(d):
        if _kind(r) != "not_listed" or blank(r.name):
            continue
        match = ctx.reference.match(r.metal, r.name, r.country)
        detail = None
        if match is not None:
            detail = {"candidate_id": match.entry.smelter_id, "candidate_name": match.entry.standard_name,
                      "candidate_country": match.entry.country, "confidence": match.confidence,
                      "method": match.method}
        if match is not None and match.confidence >= MATCH_THRESHOLD:
            text = txt("%(name)s is marked 'Smelter not listed' but looks like RMI's %(standard)s (%(cid)s, match "
                       "confidence %(confidence)s); please confirm and use the listed smelter", name=quote(r.name),
                       standard=quote(match.entry.standard_name), cid=match.entry.smelter_id,
                       confidence=percent(match.confidence))
        else:
            text = txt("%(name)s is not on the RMI smelter list; please confirm it is a smelter or refiner (not a "
                       "trader) and give its address", name=quote(r.name))
        out.append(_f("smelter.not_listed", d, r, "name", text, detail))
    return out


@check(
    "smelter.id_missing",
    title="Smelter identification number missing",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="Without a CID the smelter cannot be checked against RMI's lists.",
    message="the smelter {name} has no smelter identification number",
    sources="Green Status Pro (ddm); review notes §3 F29",
)
def id_missing(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        if _kind(r) != "listed" or blank(r.lookup) or _id(r):
            continue
        entry = ctx.reference.lookup(r.metal, r.lookup) if ctx.reference is not None else None
        text = txt("%(lookup)s has no smelter identification number (the look-up value matches %(cid)s)",
                   lookup=quote(r.lookup), cid=entry.smelter_id) if entry is not None else txt(
            "%(lookup)s has no smelter identification number", lookup=quote(r.lookup))
        detail = {"candidate_id": entry.smelter_id, "confidence": 1.0, "method": "lookup"} if entry else None
        out.append(_f("smelter.id_missing", d, r, "smelter_id", text, detail))
    return out


@check(
    "smelter.id_invalid",
    title="Smelter id not in CID format",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="RMI smelter ids are 'CID' plus six digits; anything else cannot be matched.",
    message="the smelter id {value} is not a CID (CID plus six digits)",
    sources="ddm C2; template format",
)
def id_invalid(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    return [_f("smelter.id_invalid", d, r, "smelter_id",
               txt("the smelter id %(value)s is not a CID (CID plus six digits)", value=quote(r.smelter_id)))
            for r in rows_with_data(d) if _id(r) and not is_cid(r.smelter_id)]


@check(
    "smelter.id_input_mismatch",
    title="Typed smelter id differs from the row's id",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="Column A (the id typed) and column F (the id the look-up filled) disagree: a pasted-over formula.",
    message="the id typed in column A ({typed}) differs from the smelter id {cid}",
    sources="cirscn; review notes §3 F28",
    supersedes=("smelter.lookup_inconsistent", "smelter.name_inconsistent", "smelter.country_inconsistent",
                "smelter.id_not_in_reference"),
)
def id_input_mismatch(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        typed, cid = normalise_cid(r.id_input), _id(r)
        if typed and cid and typed != cid:
            out.append(_f("smelter.id_input_mismatch", d, r, "id_input", txt(
                "the id typed in column A (%(typed)s) differs from the smelter id %(cid)s of the row", typed=typed,
                cid=cid)))
    return out


@check(
    "smelter.id_not_in_reference",
    title="Smelter id not in the RMI reference",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="An id RMI does not list may be a trader, a removed or merged facility, or a typo.",
    message="the smelter id {cid} is not in RMI's smelter reference",
    sources="R1, R8; review notes §3 F31",
    needs="reference",
    supersedes=("smelter.not_conformant",),  # an unknown id: check the id before judging its status
)
def id_not_in_reference(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    out: list[Finding] = []
    for r in rows_with_data(d):
        cid = _id(r)
        if not cid or not is_cid(cid) or ctx.reference.has_id(cid):
            continue
        if ctx.rmap is not None and (cid in ctx.rmap.conformant or cid in ctx.rmap.active):
            continue  # RMI's status lists know it, even if this reference does not (they do not line up)
        removed = ctx.rmap.removals.get(cid) if ctx.rmap is not None else None
        if removed is not None and ctx.rmap is not None and ctx.rmap.has_status_lists:
            continue  # smelter.not_conformant says RMI removed it (a sourcing risk, not a typo)
        if removed is not None:
            text = txt("the smelter id %(cid)s is not in RMI's smelter reference (RMI removed it on %(date)s: "
                       "%(reason)s); please check the id", cid=cid,
                       date=removed.revision_date or term("an unknown date"),
                       reason=removed.details or term("no reason"))  # fmt: skip
        else:
            text = txt("the smelter id %(cid)s is not in RMI's smelter reference; please check the id", cid=cid)
        out.append(_f("smelter.id_not_in_reference", d, r, "smelter_id", text))
    return out


@check(
    "smelter.lookup_inconsistent",
    title="Look-up value or metal inconsistent with the id",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="The look-up alias and the metal must belong to the smelter the id names.",
    message="the look-up value {lookup} does not belong to {cid}",
    sources="cirscn (metal + look-up combination); ddm C7",
    needs="reference",
)
def lookup_inconsistent(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    out: list[Finding] = []
    for r in rows_with_data(d):
        cid = _id(r)
        entries = ctx.reference.by_id(cid) if cid else ()
        if not entries or _kind(r) != "listed":
            continue
        if r.metal and metal_key(r.metal) not in {metal_key(e.metal) for e in entries}:
            out.append(_f("smelter.lookup_inconsistent", d, r, "metal", txt(
                "the metal %(value)s does not match %(cid)s, which RMI lists for %(metal)s", value=quote(r.metal),
                cid=cid, metal=metal(entries[0].metal))))
            continue
        if blank(r.lookup):
            continue
        aliases = {norm(e.alias) for e in entries} | {norm(e.standard_name) for e in entries}
        if norm(r.lookup) not in aliases and ctx.reference.name_score(cid, r.lookup) < NAME_THRESHOLD:
            out.append(_f("smelter.lookup_inconsistent", d, r, "lookup", txt(
                "the look-up value %(lookup)s does not belong to %(cid)s (%(standard)s)", lookup=quote(r.lookup),
                cid=cid, standard=quote(entries[0].standard_name))))
    return out


@check(
    "smelter.name_inconsistent",
    title="Smelter name inconsistent with the id",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="A typed name that matches none of the id's names suggests a wrong id or a pasted row.",
    message="the smelter name {name} does not match {cid} ({standard})",
    sources="ddm C7; review notes §3 F28",
    needs="reference",
)
def name_inconsistent(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    out: list[Finding] = []
    for r in rows_with_data(d):
        cid = _id(r)
        if not cid or blank(r.name) or _kind(r) == "not_yet" or not ctx.reference.has_id(cid):
            continue
        score = ctx.reference.name_score(cid, r.name)
        if score < NAME_THRESHOLD:
            standard = ctx.reference.by_id(cid)[0].standard_name
            out.append(_f("smelter.name_inconsistent", d, r, "name", txt(
                "the smelter name %(name)s does not match %(cid)s (%(standard)s, similarity %(score)s); please check "
                "the name or the id", name=quote(r.name), cid=cid, standard=quote(standard), score=percent(score))))
    return out


@check(
    "smelter.country_inconsistent",
    title="Smelter country inconsistent with the id",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="The country must be the one RMI records for the id; a blank or different country breaks "
    "country-of-origin reporting.",
    message="the country {country} does not match {cid} ({expected})",
    sources="ddm C7; cirscn",
    needs="reference",
)
def country_inconsistent(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    if ctx.reference is None:
        return []
    out: list[Finding] = []
    for r in rows_with_data(d):
        cid = _id(r)
        entry = ctx.reference.standard(cid) if cid else None
        if entry is None or not entry.country or _kind(r) == "not_yet":
            continue
        if blank(r.country):
            out.append(_f("smelter.country_inconsistent", d, r, "country", txt(
                "the smelter country is empty; RMI lists %(cid)s in %(country)s", cid=cid, country=entry.country)))
        elif country_key(r.country) != country_key(entry.country):
            out.append(_f("smelter.country_inconsistent", d, r, "country", txt(
                "the country %(value)s does not match %(cid)s, which RMI lists in %(country)s",
                value=quote(r.country), cid=cid, country=entry.country)))
    return out


@check(
    "smelter.duplicate",
    title="Duplicate smelter rows",
    severity=Severity.INFO,
    area="smelter",
    rationale="The same smelter listed twice is merged by CID; it often hides a copy-paste error.",
    message="{name} ({cid}) is listed more than once (rows {rows})",
    sources="cirscn (same id once per metal); ddm consolidation; review notes §3 F34",
)
def duplicate(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    groups: dict[tuple[str, str], list[SmelterRow]] = defaultdict(list)
    for r in rows_with_data(d):
        cid = _id(r)
        if cid:
            key = (metal_key(r.metal), cid)
        elif _kind(r) == "listed" and not blank(r.lookup):
            key = (metal_key(r.metal), norm(r.lookup))
        else:
            continue
        groups[key].append(r)
    out: list[Finding] = []
    for (_, ident), rows in groups.items():
        if len(rows) < 2:
            continue
        first = rows[0]
        name = first.lookup or first.name or ident
        numbers = ", ".join(str(r.row) for r in rows)
        out.append(_f("smelter.duplicate", d, rows[1], "smelter_id" if _id(first) else "lookup", txt(
            "%(name)s (%(what)s) is listed %(count)s times (rows %(rows)s)", name=quote(name),
            what=ident.upper() if _id(first) else metal(first.metal or ""), count=len(rows), rows=numbers)))
    return out


@check(
    "smelter.few_key_fields",
    title="Row with fewer than 3 of 5 key fields",
    severity=Severity.CLARIFY,
    area="smelter",
    rationale="Metal, look-up, name, country and id: with fewer than three the row cannot be used and is "
    "set aside from consolidation.",
    message="the row has only {count} of the 5 key fields (metal, look-up, name, country, id)",
    sources="ddm 'Rejected Entries'; review notes §3 F30",
)
def few_key_fields(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for r in rows_with_data(d):
        fields = (r.metal, r.lookup, r.name or r.standard_name, r.country, r.smelter_id)
        count = sum(1 for v in fields if not blank(v))
        if count < 3:
            out.append(_f("smelter.few_key_fields", d, r, "metal", txt(
                "the row has only %(count)s of the 5 key fields (metal, look-up, name, country, id); please "
                "complete or remove it", count=count)))
    return out


@check(
    "mine.incomplete",
    title="Mine List row without smelter, mine name or country",
    severity=Severity.CLARIFY,
    area="mine",
    rationale="EMRT 2.x and AMRT Mine List rows that name a metal also need the smelter they supply, the mine "
    "name and the mine's country.",
    message="the Mine List row names {metal} but not the {missing}",
    sources="cm-reporting (EMRT 2.x/AMRT Mine List rule)",
)
def mine_incomplete(d: Declaration, ctx: ReviewContext) -> list[Finding]:
    out: list[Finding] = []
    for m in d.mines:
        if blank(m.metal):
            continue
        missing = [(field, text) for field, text, value in (
            ("smelter_name", term("smelter it supplies"), m.smelter_name),
            ("mine_name", term("mine name"), m.mine_name),
            ("country", term("mine country"), m.country),
        ) if blank(value)]
        if missing:
            column = d.mine_columns.get(missing[0][0])
            what: Param = missing[0][1]
            for _, text in missing[1:]:
                what = txt("%(first)s or the %(next)s", first=what, next=text)
            out.append(finding("mine.incomplete", txt("the Mine List row names %(metal)s but not the %(what)s",
                                                      metal=metal(m.metal or ""), what=what),
                               "Mine List", f"{column}{m.row}" if column else None, row=m.row, mineral=m.metal))
    return out
