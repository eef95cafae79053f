"""Bounces that prove themselves (issue 11): a DSN counts only when it names an e-mail the bot sent, by the VERP
address it was delivered to or by the original Message-ID in the returned headers."""

from __future__ import annotations

import pytest

from mail.bounces import (
    SentMail,
    envelope_recipients,
    new_envelope_token,
    returned_message_ids,
    verify_bounce,
    verp_address,
    verp_token,
)
from mail.classify import classify, parse_inbound
from tests.unit.mail.dsn import dsn, parse

BASE = "compliance@buyer.test"
TOKEN = "0123456789abcdef"
OUR_ID = "<cmbot.ABCDEFGH.1234@buyer.test>"
SENT = SentMail(OUR_ID, "anna@supplier.test", 7)


class Sent:
    """The e-mails the bot sent, as the outbox knows them."""

    def by_envelope_token(self, token: str) -> SentMail | None:
        return SENT if token == TOKEN else None

    def by_message_id(self, message_id: str) -> SentMail | None:
        return SENT if message_id == OUR_ID else None


def test_verp_addresses_round_trip() -> None:
    token = new_envelope_token()
    assert len(token) == 16 and token != new_envelope_token()
    address = verp_address(BASE, token)
    assert address == f"compliance+{token}@buyer.test"
    assert verp_token(address, BASE) == token
    assert verp_token(address.upper(), BASE) == token
    assert verp_address("bounces+old@buyer.test", token) == f"bounces+{token}@buyer.test"
    assert verp_address(BASE, None) == BASE
    assert verp_token(f"compliance+{token}@evil.test", BASE) is None
    assert verp_token(f"other+{token}@buyer.test", BASE) is None
    assert verp_token("compliance+x@buyer.test", BASE) is None  # too short to be one of ours


def test_genuine_dsn_delivered_to_the_verp_address() -> None:
    msg = parse(dsn(failed="anna@supplier.test", to=verp_address(BASE, TOKEN),
                    delivered_to=verp_address(BASE, TOKEN)))  # fmt: skip
    assert verp_address(BASE, TOKEN) in envelope_recipients(msg)
    verdict = verify_bounce(msg, Sent(), bounce_bases=[BASE])
    assert (verdict.verified, verdict.method, verdict.sent) == (True, "verp", SENT)
    assert verdict.addresses == ("anna@supplier.test",)


@pytest.mark.parametrize("part", ["text/rfc822-headers", "message/rfc822-headers", "message/rfc822"])
def test_genuine_dsn_quoting_our_message_id(part: str) -> None:
    msg = parse(dsn(failed="anna@supplier.test", original_message_id=OUR_ID, headers_part=part))
    assert returned_message_ids(msg) == [OUR_ID]
    verdict = verify_bounce(msg, Sent(), bounce_bases=[BASE])
    assert (verdict.verified, verdict.method) == (True, "message_id")
    assert verdict.addresses == ("anna@supplier.test",)


def test_forged_dsn_from_a_random_sender_is_unverified() -> None:
    raw = dsn(failed="anna@supplier.test", sender="postmaster@random.example",
              original_message_id="<made-up@random.example>")  # fmt: skip
    message = parse_inbound(raw)
    assert classify(message, has_workbook=False).kind.value == "bounce"  # it looks like a bounce...
    verdict = verify_bounce(message.msg, Sent(), bounce_bases=[BASE])
    assert not verdict.verified and verdict.method == "none" and verdict.addresses == ()  # ...but proves nothing


def test_a_guessed_token_or_a_foreign_verp_address_proves_nothing() -> None:
    for address in (verp_address(BASE, "ffffffffffffffff"), verp_address("compliance@evil.test", TOKEN)):
        msg = parse(dsn(failed="anna@supplier.test", to=address, delivered_to=address))
        assert not verify_bounce(msg, Sent(), bounce_bases=[BASE]).verified
    # the VERP check needs the base; without one only the Message-ID can prove a bounce
    msg = parse(dsn(failed="anna@supplier.test", delivered_to=verp_address(BASE, TOKEN)))
    assert not verify_bounce(msg, Sent(), bounce_bases=[None]).verified
