"""Which templates a request still waits for, in a campaign that asks for several (``--family CMRT,EMRT``).

The model: a request has one state (its life cycle, ``cmrt.outreach.states``), and the families it has returned
are *derived*, never stored twice: the template family of each read workbook the request received (what
``store.figures.returned_families`` reads from the stored submissions, and what the figures count per family).
A request is *partly returned* when its campaign asks for several families, at least one of them came back and at
least one did not. Its state then says what became of what came back (accepted, clarification requested, escalated
after a high-risk review); the families still missing are chased on the request's own cadence: reminder *n* is due
``reminder_cadence[n-1]`` after the request and names only the missing templates (attaching only their blanks), and
the escalations to the team fall due as for a silent supplier. One family asked, or nothing asked returned yet: the
state alone decides, as it always has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def still_missing(asked: Sequence[str], returned: Iterable[str]) -> tuple[str, ...]:
    """The asked families not returned yet, in the campaign's order, when the request is partly returned; ``()``
    when one family is asked, when every one came back, or when none of them did (the state then says it all)."""
    if len(asked) < 2:
        return ()
    got = {name.upper() for name in returned}
    missing = tuple(name for name in asked if name not in got)
    return missing if len(missing) < len(asked) else ()


def waiting_for(missing: Sequence[str]) -> str:
    """``"waiting for EMRT"`` (``"waiting for EMRT and CRT"``): how a plan and the team name a partial return."""
    names = list(missing)
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"waiting for {text}"
