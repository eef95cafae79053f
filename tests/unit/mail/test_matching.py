from __future__ import annotations

from collections.abc import Sequence

from mail.classify import parse_inbound
from mail.matching import Candidate, Method, match_company, match_reply
from tests.unit.mail.helpers import inbound


class Directory:
    def __init__(self) -> None:
        self.tokens = {"ABCDEFGH": 1}
        self.threads = {"<first@buyer.test>": 2}
        self.addresses = {"anna@acme.test": [3]}
        self.domains = {"acme.test": [4, 5]}
        self.companies = [Candidate(6, "Acme Metals Co., Ltd."), Candidate(7, "Tungsten Works GmbH")]

    def by_token(self, token: str) -> int | None:
        return self.tokens.get(token)

    def by_thread(self, message_ids: Sequence[str]) -> int | None:
        return next((self.threads[m] for m in message_ids if m in self.threads), None)

    def by_address(self, address: str) -> list[int]:
        return self.addresses.get(address, [])

    def by_domain(self, domain: str) -> list[int]:
        return self.domains.get(domain, [])

    def company_candidates(self) -> list[Candidate]:
        return self.companies


def _match(**kw: object):  # type: ignore[no-untyped-def]
    return match_reply(parse_inbound(inbound(**kw)), Directory())


def test_order_of_matching() -> None:
    assert _match(subject="Re: CMRT [CMRT-ABCDEFGH]", sender="x@other.test").method is Method.TOKEN
    ours = "<cmbot.ABCDEFGH.00ff@buyer.test>"
    assert _match(subject="Re: your mail", in_reply_to=ours, sender="x@other.test").request_id == 1
    assert _match(subject="Re", references="<first@buyer.test>", sender="x@other.test").method is Method.THREAD
    assert _match(subject="CMRT", body="Reference: ABCDEFGH", sender="x@other.test").method is Method.BODY_TOKEN
    hit = _match(subject="CMRT", sender="Anna <anna@acme.test>")
    assert (hit.method, hit.request_id) == (Method.ADDRESS, 3)
    hit = _match(subject="CMRT", sender="bob@acme.test")
    assert (hit.method, hit.request_id, hit.ambiguous) == (Method.DOMAIN, 4, True)
    assert not _match(subject="CMRT", sender="someone@gmail.com").matched


def test_company_name_fuzzy() -> None:
    directory = Directory()
    assert match_company("ACME METALS CO LTD", directory).request_id == 6
    assert match_company("Tungsten Works", directory).request_id == 7
    assert not match_company("Completely Different Inc", directory).matched
    message = parse_inbound(inbound(sender="x@unknown.test"))
    assert match_reply(message, directory, ["Acme Metals"]).method is Method.COMPANY
