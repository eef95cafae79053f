"""The request state machine (pure) and SQLite behaviour under concurrent writers."""

from __future__ import annotations

import pathlib
import threading

import pytest

from cmrt.outreach.states import ALLOWED_TRANSITIONS, InvalidTransition, RequestState, check_transition
from store import Database, audit, upgrade

RS = RequestState


def test_every_state_is_reachable_and_closed_is_final() -> None:
    seen = {RS.NOT_SENT}
    frontier = [RS.NOT_SENT]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(RequestState)
    assert ALLOWED_TRANSITIONS[RS.CLOSED] == frozenset()
    assert all(RS.CLOSED in targets for state, targets in ALLOWED_TRANSITIONS.items() if state != RS.CLOSED)


@pytest.mark.parametrize(
    ("current", "target"),
    [(RS.NOT_SENT, RS.REMINDED), (RS.SENT, RS.NOT_SENT), (RS.ACCEPTED, RS.ESCALATED), (RS.CLOSED, RS.SENT),
     (RS.EXEMPT, RS.REMINDED)],
)
def test_refused_transitions(current: RequestState, target: RequestState) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot become '{target.value}'"):
        check_transition(current, target)


def test_sqlite_concurrent_writers_wait_instead_of_failing(tmp_path: pathlib.Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        db = Database(url)
        try:
            for i in range(40):
                with db.session() as s:
                    audit.events(s, limit=1)  # read first, then write: the classic SQLITE_BUSY upgrade case
                    audit.record(s, f"t{n}", "test.write", details={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db = Database(url)
    try:
        with db.session() as s:
            assert len(audit.events(s, action="test.write")) == 160
    finally:
        db.dispose()


@pytest.mark.parametrize("current", sorted(s for s in RS if RS.ACCEPTED in ALLOWED_TRANSITIONS[s]))
def test_accept_needs_a_reviewed_workbook_from_every_state(current: RequestState) -> None:
    """An escalated request nobody answered (or any other without a review) cannot become accepted."""
    with pytest.raises(InvalidTransition, match="no returned workbook was reviewed"):
        check_transition(current, RS.ACCEPTED)
    check_transition(current, RS.ACCEPTED, reviewed=True)


def test_a_question_holds_a_chased_request_and_resuming_goes_back() -> None:
    for current in (RS.SENT, RS.REMINDED, RS.ESCALATED, RS.CLARIFICATION_REQUESTED):
        check_transition(current, RS.AWAITING_TEAM)
        check_transition(RS.AWAITING_TEAM, current)
    with pytest.raises(InvalidTransition):
        check_transition(RS.EXEMPT, RS.AWAITING_TEAM)
