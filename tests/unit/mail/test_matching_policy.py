"""The matching policy with levels of evidence (mail.matching.decide) and the loop guard (mail.loops)."""

from __future__ import annotations

from mail.classify import parse_inbound
from mail.loops import never_answer
from mail.matching import (
    UNCHECKED,
    AuthStatus,
    Evidence,
    Standing,
    SupplierIdentity,
    authenticate,
    authentication_values,
    company_differs,
    decide,
    is_freemail,
    parse_authentication_results,
)
from tests.unit.mail.helpers import inbound
from tests.unit.mail.test_matching import Directory

ACME = SupplierIdentity(3, "Acme Metals Co., Ltd.", ("anna@acme.test", "bob@acme.test"), ("acme.test",))
OTHER = SupplierIdentity(1, "Tungsten Works GmbH", ("tw@tungsten.test",), ("tungsten.test",))


def _identity(request_id: int) -> SupplierIdentity | None:
    return {1: OTHER, 3: ACME, 4: ACME, 5: ACME, 6: ACME}.get(request_id)


def _decide(auth_id: str | None = None, names: tuple[str, ...] = (), **kw: object):  # type: ignore[no-untyped-def]
    message = parse_inbound(inbound(**kw))  # type: ignore[arg-type]
    auth = authenticate(authentication_values(message.msg), auth_id)
    return decide(message, Directory(), _identity, auth=auth, company_names=names, own_addresses=["bot@us.test"])


PASS = "mx.us.test; spf=pass smtp.mailfrom=acme.test; dkim=pass header.d=acme.test; dmarc=pass header.from=acme.test"
FAIL = "mx.us.test; spf=fail smtp.mailfrom=acme.test; dkim=none; dmarc=fail (p=reject) header.from=acme.test"


def test_authentication_results_parsed_and_trusted_only_for_our_server() -> None:
    assert parse_authentication_results("mx.us.test 1; dkim/1=pass (good) header.d=x; spf = fail") == (
        "mx.us.test",
        [("dkim", "pass"), ("spf", "fail")],
    )
    assert authenticate([PASS], None) is UNCHECKED
    assert authenticate([PASS], "mx.us.test").status is AuthStatus.PASS
    assert authenticate([FAIL], "MX.us.test").status is AuthStatus.FAIL
    assert authenticate(["mx.us.test; spf=fail; dkim=pass"], "mx.us.test").status is AuthStatus.PASS
    assert authenticate(["mx.us.test; spf=softfail; dkim=none"], "mx.us.test").status is AuthStatus.FAIL
    assert authenticate(["mx.us.test; none"], "mx.us.test").status is AuthStatus.NONE
    # a header with another authserv-id (the sender wrote it) counts for nothing
    assert authenticate([PASS.replace("mx.us.test", "mx.evil.test")], "mx.us.test").status is AuthStatus.NONE
    # only the topmost header of our server counts (anything below came with the message)
    assert authenticate([FAIL, PASS], "mx.us.test").status is AuthStatus.FAIL


def test_free_mail_list_is_data() -> None:
    assert is_freemail("gmail.com") and is_freemail("mail.yahoo.com") and is_freemail("QQ.com")
    assert not is_freemail("acme.test") and is_freemail(None)


def test_token_from_a_known_contact_answers_the_contact_or_a_reply_to_inside_the_supplier() -> None:
    d = _decide(subject="Re [CMRT-ABCDEFGH]", sender="tw@tungsten.test")
    assert (d.evidence, d.standing, d.ack_to, d.new_address) == (
        Evidence.TOKEN,
        Standing.CONTACT,
        ("tw@tungsten.test",),
        None,
    )
    d = _decide(subject="Re [CMRT-ABCDEFGH]", sender="tw@tungsten.test", headers={"Reply-To": "ops@tungsten.test"})
    assert d.ack_to == ("ops@tungsten.test",)
    d = _decide(subject="Re [CMRT-ABCDEFGH]", sender="tw@tungsten.test", headers={"Reply-To": "x@evil.test"})
    assert d.ack_to == ("tw@tungsten.test",)  # a hostile Reply-To is ignored


def test_token_from_a_stranger_is_matched_but_only_contacts_are_answered() -> None:
    d = _decide(subject="Re [CMRT-ABCDEFGH]", sender="someone@evil.test", headers={"Reply-To": "tw@tungsten.test"})
    assert d.match.request_id == 1 and d.standing is Standing.UNVERIFIED and not d.verified
    assert d.ack_to == ("tw@tungsten.test",) and d.new_address == "someone@evil.test"
    d = _decide(subject="Re [CMRT-ABCDEFGH]", sender="colleague@tungsten.test")
    assert d.standing is Standing.DOMAIN and d.verified
    assert d.ack_to == ("colleague@tungsten.test", "tw@tungsten.test") and d.new_address == "colleague@tungsten.test"


def test_contact_and_domain_evidence() -> None:
    d = _decide(sender="Anna <anna@acme.test>")
    assert (d.evidence, d.match.request_id, d.standing, d.ack_to) == (
        Evidence.CONTACT,
        3,
        Standing.CONTACT,
        ("anna@acme.test",),
    )
    d = _decide(sender="carl@acme.test")
    assert (d.evidence, d.standing) == (Evidence.DOMAIN, Standing.DOMAIN)
    assert _decide(sender="x@gmail.com").evidence is Evidence.NONE


def test_authentication_gates_domain_and_company_and_failure_makes_the_sender_unknown() -> None:
    assert (
        _decide("mx.us.test", sender="carl@acme.test", headers={"Authentication-Results": PASS}).evidence
        is Evidence.DOMAIN
    )
    # key set, no header from our server: the domain does not count
    assert _decide("mx.us.test", sender="carl@acme.test").evidence is Evidence.NONE
    failed = {"Authentication-Results": FAIL}
    assert _decide("mx.us.test", sender="anna@acme.test", headers=failed).evidence is Evidence.NONE
    d = _decide("mx.us.test", subject="[CMRT-ABCDEFGH]", sender="tw@tungsten.test", headers=failed)
    assert d.match.request_id == 1 and d.standing is Standing.UNVERIFIED and d.ack_to == ("tw@tungsten.test",)
    assert _decide("mx.us.test", names=("Acme Metals",), sender="x@evil.test", headers=failed).proposal is None


def test_company_name_is_only_a_proposal() -> None:
    d = _decide(names=("ACME METALS CO LTD",), sender="x@evil.test")
    assert not d.match.matched and d.evidence is Evidence.COMPANY
    assert d.proposal is not None and d.proposal.request_id == 6 and d.ack_to == ()


def test_company_name_that_clearly_differs() -> None:
    assert company_differs("Totally Other Trading", "Acme Metals Co., Ltd.")
    assert not company_differs("ACME METALS", "Acme Metals Co., Ltd.")
    assert not company_differs(None, "Acme Metals Co., Ltd.")


def test_never_answer() -> None:
    def reasons(headers: dict[str, str]) -> tuple[str, ...]:
        return never_answer(parse_inbound(inbound(headers=headers)).msg)

    assert reasons({}) == ()
    assert reasons({"Precedence": "bulk"}) == ("Precedence",)
    assert reasons({"Precedence": "first-class"}) == ()
    assert reasons({"List-Id": "<x.lists.test>"}) == ("List-Id",)
    assert reasons({"X-Autoreply": "yes"}) == ("X-Autoreply",)
    assert reasons({"X-Auto-Response-Suppress": "All"}) == ("X-Auto-Response-Suppress",)
    assert reasons({"Auto-Submitted": "no"}) == ()
    assert reasons({"Auto-Submitted": "auto-replied"}) == ("Auto-Submitted",)
    assert reasons({"Return-Path": "<>"}) == ("empty Return-Path",)
    assert reasons({"Return-Path": "<a@b.test>"}) == ()
