"""The group agreement: versions, acceptance, and Markdown rendered safely."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chat.errors import AgreementRequired, ChatError, Forbidden, ValidationError
from chat.models import AuditEntry, ConductVersion, User
from chat.services import accounts, conduct
from tests.helpers import PASSWORD, START

LATER = START + timedelta(days=3)


def versions(dbs: Session) -> int:
    return dbs.scalar(select(func.count()).select_from(ConductVersion)) or 0


def test_nobody_is_asked_while_no_agreement_exists(dbs: Session, member: User) -> None:
    assert conduct.current(dbs) is None
    assert conduct.has_accepted_current(dbs, member)
    conduct.require_accepted(dbs, member)  # does not raise


def test_a_member_accepts_the_version_in_force_and_again_when_it_changes(
    dbs: Session, organiser: User, member: User
) -> None:
    first, created = conduct.publish(dbs, organiser, "# Be kind", START)
    assert created and conduct.current(dbs) == first
    assert not conduct.has_accepted_current(dbs, member)
    with pytest.raises(AgreementRequired) as refused:
        conduct.require_accepted(dbs, member)
    assert refused.value.as_ack()["error"] == {
        "code": "forbidden",
        "message": "Please read and accept the group agreement first.",
        "agreement_version": first.id,
    }

    accepted = conduct.accept(dbs, member, first.id, START)
    assert (accepted.version_id, accepted.accepted_at) == (first.id, START)
    assert conduct.has_accepted_current(dbs, member)
    again = conduct.accept(dbs, member, first.id, LATER)
    assert again.accepted_at == START  # accepting twice keeps the first time
    assert conduct.acceptance_count(dbs, first) == 1

    second, created = conduct.publish(dbs, organiser, "# Be kind\n\nAnd curious.", LATER)
    assert created and second.id > first.id
    assert not conduct.has_accepted_current(dbs, member)
    assert conduct.acceptance_count(dbs, second) == 0


def test_accepting_a_version_that_is_no_longer_in_force_is_a_conflict(
    dbs: Session, organiser: User, member: User
) -> None:
    first, _ = conduct.publish(dbs, organiser, "Version one", START)
    second, _ = conduct.publish(dbs, organiser, "Version two", LATER)
    with pytest.raises(ChatError) as refused:
        conduct.accept(dbs, member, first.id, LATER)
    assert refused.value.code == "conflict"
    with pytest.raises(ChatError):
        conduct.accept(dbs, member, second.id + 1, LATER)
    assert not conduct.has_accepted_current(dbs, member)
    conduct.accept(dbs, member, second.id, LATER)
    assert conduct.has_accepted_current(dbs, member)


def test_publishing_the_same_text_makes_no_new_version(dbs: Session, organiser: User) -> None:
    first, _ = conduct.publish(dbs, organiser, "Be kind.\nBe curious.\n", START)
    same, created = conduct.publish(dbs, organiser, "  Be kind.\r\nBe curious.  \n\n", LATER)
    assert same == first and not created and versions(dbs) == 1


def test_each_published_version_is_in_the_audit_log(dbs: Session, organiser: User) -> None:
    conduct.publish(dbs, organiser, "Be kind.", START)
    conduct.publish(dbs, organiser, "Be kind.", LATER)  # the same text: nothing new
    conduct.publish(dbs, organiser, "Be kind and curious.", LATER)
    logged = dbs.execute(select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.target))
    assert list(logged) == [
        ("publish_agreement", organiser.display_name, "version 1"),
        ("publish_agreement", organiser.display_name, "version 2"),
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [("", "Write the agreement"), ("  \n ", "Write the agreement"), ("x" * 20_001, "20,000")],
)
def test_empty_or_overlong_agreements_are_refused(
    dbs: Session, organiser: User, body: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        conduct.publish(dbs, organiser, body, START)
    assert problem in refused.value.fields["body"]
    assert versions(dbs) == 0


def test_only_organisers_publish(dbs: Session, member: User) -> None:
    with pytest.raises(Forbidden):
        conduct.publish(dbs, member, "My own rules", START)
    assert versions(dbs) == 0


def test_the_first_organiser_starts_the_community_with_the_starter_agreement(
    dbs: Session,
) -> None:
    token = accounts.issue_setup_link_token(dbs, START)
    form = accounts.Registration("lead@example.org", "Lead", PASSWORD)
    lead = accounts.create_first_organiser(dbs, token, form, START)
    version = conduct.current(dbs)
    assert version is not None and version.created_by_id == lead.id
    assert version.body == conduct.STARTER_AGREEMENT.strip()
    for theme in ("Respect", "confidentiality", "Safeguarding", "consent", "screenshots"):
        assert theme in version.body
    assert conduct.publish_starter(dbs, lead, LATER) == version  # never a second copy
    assert not conduct.has_accepted_current(dbs, lead)  # organisers agree too


# Each input, and what must (and must not) come out of the renderer.
UNSAFE = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", "<img"),
    ('<a href="https://e.org" onclick="x()">hi</a>', "&lt;a href=", "<a "),
    ("<div>raw block</div>", "&lt;div&gt;raw block&lt;/div&gt;", "<div"),
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))", "<a "),
    ("[click](JavaScript:alert(1))", "[click](JavaScript:alert(1))", "<a "),
    ("[click](&#106;avascript:alert(1))", "[click](javascript:alert(1))", "<a "),
    ("[click][evil]\n\n[evil]: javascript:alert(1)", "[click][evil]", "<a "),
    ("<javascript:alert(1)>", "&lt;javascript:alert(1)&gt;", "<a "),
    ("[data](data:text/html;base64,PHNjcmlwdD4=)", "[data](data:text/html", "<a "),
    ("[local](file:///etc/passwd)", "[local](file:///etc/passwd)", "<a "),
    ("![pixel](https://tracker.example/p.gif)", 'href="https://tracker.example/p.gif"', "<img"),
    ("![x](javascript:alert(1))", "![x](javascript:alert(1))", "<img"),
]


@pytest.mark.parametrize(("body", "shown", "absent"), UNSAFE)
def test_unsafe_markdown_comes_out_inert(body: str, shown: str, absent: str) -> None:
    html = str(conduct.render(body))
    assert shown in html
    assert absent not in html
    assert all(
        href.startswith(("https:", "mailto:")) for href in re.findall(r'href="([^"]*)', html)
    )


SAFE = [
    ("# Respect", "<h1>Respect</h1>"),
    ("## Safeguarding", "<h2>Safeguarding</h2>"),
    ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
    ("1. first", "<ol>\n<li>first</li>\n</ol>"),
    ("*gently* and **clearly**", "<em>gently</em> and <strong>clearly</strong>"),
    ("[BACP](https://www.bacp.co.uk)", '<a href="https://www.bacp.co.uk">BACP</a>'),
    ("[site](http://example.org)", '<a href="http://example.org">site</a>'),
    ("[write](mailto:team@example.org)", '<a href="mailto:team@example.org">write</a>'),
    ("<https://example.org>", '<a href="https://example.org">https://example.org</a>'),
    ("Tom & Jerry's <3", "Tom &amp; Jerry's &lt;3"),
]


@pytest.mark.parametrize(("body", "html"), SAFE)
def test_markdown_formatting_and_safe_links_work(body: str, html: str) -> None:
    assert html in str(conduct.render(body))


def test_the_rendered_agreement_is_markup_only_after_sanitising() -> None:
    rendered = conduct.render("<b>bold?</b>")
    assert rendered.__html__() == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>\n"
