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



def _f(check_id: str, d: Declaration, row: SmelterRow, field: str, message: str,
       detail: dict[str, Any] | None = None) -> Finding:
    sheet, cell = smelter_cell(d, row, field)
    prefix = "" if cell else f"row {row.row}: "
    return finding(check_id, prefix + message, sheet, cell, row=row.row, mineral=row.metal, detail=detail)


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
    return [_f("smelter.metal_missing", d, r, "metal", "the smelter row has no metal; please select one")
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
        hint, detail = "", None
        if ctx.reference is not None and not _id(r) and not blank(r.name):
            match = ctx.reference.match(r.metal, r.name, r.country)
            if match is not None and match.confidence >= MATCH_THRESHOLD:
                hint = (f" ({quote(r.name)} looks like RMI's {quote(match.entry.alias)}, {match.entry.smelter_id}, "
                        f"match confidence {match.confidence:.0%})")
                detail = {"candidate_id": match.entry.smelter_id, "candidate_name": match.entry.standard_name,
                          "confidence": match.confidence, "method": match.method}
        out.append(_f("smelter.lookup_missing", d, r, "lookup",
                      f"the {r.metal} row has no Smelter Look-up value{hint}; please select the smelter, "
                      "'Smelter not listed' or 'Smelter not yet identified'", detail))
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
    return [_f("smelter.not_yet_identified", d, r, "lookup", f"the {r.metal} smelter is 'not yet identified'; "
               "please identify it with your supplier")
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
        missing = [label for label, value in (("name", r.name), ("country", r.country)) if blank(value)]
        if missing:
            field = "name" if blank(r.name) else "country"
            out.append(_f("smelter.not_listed_incomplete", d, r, field,
                          f"'Smelter not listed' is selected but the smelter {' and '.join(missing)} "
                          f"{'is' if len(missing) == 1 else 'are'} empty"))
    return out


_PLACEHOLDER_FIELDS = (("name", "smelter name"), ("country", "country"), ("lookup", "Smelter Look-up value"),
                       ("smelter_id", "smelter id"), ("id_source", "id source"), ("street", "street"),
                       ("city", "city"), ("state", "state or province"), ("contact_name", "contact name"),
                       ("contact_email", "contact e-mail"))  # fmt: skip
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
        names = " and ".join(text for _, text, _ in left)
        out.append(_f("smelter.placeholder_left", d, r, field,
                      f"the {names} of the {r.metal or 'smelter'} row still say{'s' if len(left) == 1 else ''} "
                      f"{quote(value)}, a template placeholder; please enter the smelter's real "
                      f"{names}", {"fields": [f for f, _, _ in left]}))  # fmt: skip
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
            text = (f"{quote(r.name)} is marked 'Smelter not listed' but looks like RMI's "
                    f"{quote(match.entry.standard_name)} ({match.entry.smelter_id}, match confidence "
                    f"{match.confidence:.0%}); please confirm and use the listed smelter")
        else:
            text = (f"{quote(r.name)} is not on the RMI smelter list; please confirm it is a smelter or refiner "
                    "(not a trader) and give its address")
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
        hint = f" (the look-up value matches {entry.smelter_id})" if entry is not None else ""
        detail = {"candidate_id": entry.smelter_id, "confidence": 1.0, "method": "lookup"} if entry else None
        out.append(_f("smelter.id_missing", d, r, "smelter_id",
                      f"{quote(r.lookup)} has no smelter identification number{hint}", detail))
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
               f"the smelter id {quote(r.smelter_id)} is not a CID (CID plus six digits)")
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
            out.append(_f("smelter.id_input_mismatch", d, r, "id_input",
                          f"the id typed in column A ({typed}) differs from the smelter id {cid} of the row"))
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
        why = ""
        if removed is not None:
            why = f" (RMI removed it on {removed.revision_date or 'an unknown date'}: {removed.details or 'no reason'})"
        out.append(_f("smelter.id_not_in_reference", d, r, "smelter_id",
                      f"the smelter id {cid} is not in RMI's smelter reference{why}; please check the id"))
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
            out.append(_f("smelter.lookup_inconsistent", d, r, "metal",
                          f"the metal {quote(r.metal)} does not match {cid}, which RMI lists for {entries[0].metal}"))
            continue
        if blank(r.lookup):
            continue
        aliases = {norm(e.alias) for e in entries} | {norm(e.standard_name) for e in entries}
        if norm(r.lookup) not in aliases and ctx.reference.name_score(cid, r.lookup) < NAME_THRESHOLD:
            out.append(_f("smelter.lookup_inconsistent", d, r, "lookup",
                          f"the look-up value {quote(r.lookup)} does not belong to {cid} "
                          f"({quote(entries[0].standard_name)})"))
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
            out.append(_f("smelter.name_inconsistent", d, r, "name",
                          f"the smelter name {quote(r.name)} does not match {cid} ({quote(standard)}, similarity "
                          f"{score:.0%}); please check the name or the id"))
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
            out.append(_f("smelter.country_inconsistent", d, r, "country",
                          f"the smelter country is empty; RMI lists {cid} in {entry.country}"))
        elif country_key(r.country) != country_key(entry.country):
            out.append(_f("smelter.country_inconsistent", d, r, "country",
                          f"the country {quote(r.country)} does not match {cid}, which RMI lists in {entry.country}"))
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
        out.append(_f("smelter.duplicate", d, rows[1], "smelter_id" if _id(first) else "lookup",
                      f"{quote(name)} ({ident.upper() if _id(first) else first.metal}) is listed "
                      f"{len(rows)} times (rows {numbers})"))
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
            out.append(_f("smelter.few_key_fields", d, r, "metal",
                          f"the row has only {count} of the 5 key fields (metal, look-up, name, country, id); "
                          "please complete or remove it"))
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
            ("smelter_name", "smelter it supplies", m.smelter_name),
            ("mine_name", "mine name", m.mine_name),
            ("country", "mine country", m.country),
        ) if blank(value)]
        if missing:
            column = d.mine_columns.get(missing[0][0])
            what = " or the ".join(text for _, text in missing)
            out.append(finding("mine.incomplete", f"the Mine List row names {m.metal} but not the {what}",
                               "Mine List", f"{column}{m.row}" if column else None, row=m.row, mineral=m.metal))
    return out
