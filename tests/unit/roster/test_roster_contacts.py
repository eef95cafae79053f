"""cmrt.roster: several contact addresses, a cc_emails column and a language column; cmrt.languages tags."""

from __future__ import annotations

import pytest

from cmrt.languages import LANGUAGES, UnknownLanguage, normalise
from cmrt.roster import RejectReason, parse_roster


def test_contact_list_cc_and_language() -> None:
    data = (
        "supplier_id,name,contact_email,CC emails,Language\n"
        'S-1,Müller GmbH,"anna@Mueller.example; bob@mueller.example",carl@mueller.example,de-DE\n'
        "S-2,深圳金属,wang@sz.example,,zh_CN\n"
        "S-3,Taipei Metal,lin@tp.example,lin@tp.example mailto:ops@tp.example,zh-Hant-TW\n"
        "S-4,Plain,p@plain.example,,\n"
        "S-5,Bad lang,x@bad.example,,klingon\n"
        "S-6,Bad cc,y@bad.example,not-an-address,\n"
        "S-7,Bare zh,z@bad.example,,zh\n"
    ).encode()
    roster = parse_roster(data)
    by_id = {e.supplier_id: e for e in roster.entries}
    assert by_id["S-1"].contact_email == "anna@mueller.example"
    assert by_id["S-1"].contacts == ("anna@mueller.example", "bob@mueller.example")
    assert by_id["S-1"].cc_emails == ("carl@mueller.example",)
    assert by_id["S-1"].language == "de"
    assert by_id["S-2"].language == "zh-Hans" and by_id["S-2"].contacts == ("wang@sz.example",)
    assert by_id["S-3"].language == "zh-Hant"
    assert by_id["S-3"].cc_emails == ("ops@tp.example",)  # a contact is not also copied
    assert by_id["S-4"].language is None and by_id["S-4"].cc_emails == ()
    assert [(r.supplier_id, r.reason) for r in roster.rejected] == [
        ("S-5", RejectReason.BAD_LANGUAGE),
        ("S-6", RejectReason.BAD_EMAIL),
        ("S-7", RejectReason.BAD_LANGUAGE),
    ]
    assert "zh-Hans (simplified) or zh-Hant (traditional)" in roster.rejected[2].message
    assert roster.columns["cc_emails"] == "CC emails" and roster.columns["language"] == "Language"


def test_a_bad_address_anywhere_in_the_list_rejects_the_row() -> None:
    roster = parse_roster(b"supplier_id,name,contact_email\nS-1,A,good@a.example; nope\n")
    assert roster.entries == () and roster.rejected[0].reason == RejectReason.BAD_EMAIL
    assert "'nope'" in roster.rejected[0].message


@pytest.mark.parametrize(
    ("typed", "tag"),
    [("EN", "en"), ("en-GB", "en"), ("de_AT", "de"), ("zh-hans", "zh-Hans"), ("zh-HK", "zh-Hant"),
     ("zh-TW", "zh-Hant"), ("ja-JP", "ja"), ("ko", "ko"), ("pt-BR", "pt"), ("es-MX", "es"), ("fr-CA", "fr"),
     ("it", "it")],
)
def test_language_tags(typed: str, tag: str) -> None:
    assert normalise(typed) == tag
    assert tag in LANGUAGES


@pytest.mark.parametrize("typed", ["", "zh", "nl", "xx-YY"])
def test_unsupported_language_tags(typed: str) -> None:
    with pytest.raises(UnknownLanguage):
        normalise(typed)


def test_domains_column() -> None:
    data = (b"supplier_id,name,contact_email,Domains\n"
            b"S-1,A,a@a.example,\"A.example; @a-group.example https://www.a.example.cn/\"\n"
            b"S-2,B,b@b.example,not_a_domain\n")
    roster = parse_roster(data)
    assert roster.entries[0].domains == ("a.example", "a-group.example", "a.example.cn")
    assert roster.rejected[0].reason == RejectReason.BAD_DOMAIN
