"""Resources as a service: which links are accepted, how they show, who may do what, and
what the recap, the library, account deletion and a member's own data make of them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from chat.errors import ChatError, ValidationError
from chat.models import ChatSession, User
from chat.services import deletion, mydata, recaps, rehearsals, resources
from tests.helpers import PASSWORD, make_user
from tests.unit.builders import LOBBY, live

LONG_URL = "https://example.org/" + "a" * (2001 - len("https://example.org/"))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "Only web links"),
        ("JAVASCRIPT:alert(1)", "Only web links"),
        ("JavaScript:alert(document.cookie)", "Only web links"),
        ("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "Only web links"),
        ("ftp://files.example.org/book.pdf", "Only web links"),
        ("vbscript:msgbox(1)", "Only web links"),
        ("/relative/path", "Only web links"),
        ("example.org/article", "Only web links"),
        ("//example.org/article", "Only web links"),
        ("https://", "site's name"),
        ("https:///no-host", "site's name"),
        ("http:example.org", "site's name"),
        ("https://example.org/with space", "spaces"),
        ("https://example.org/\nline", "spaces"),
        ("https://exa\tmple.org/", "spaces"),
        ("https://example.org\\@evil.test/", "spaces"),
        ("https://user:secret@example.org/", "password"),
        ("https://user@example.org/", "password"),
        ("https://example.org:port/", "web link"),
        (LONG_URL, "2,000"),
        ("", "Paste"),
    ],
)
def test_only_absolute_web_links_are_accepted(url: str, problem: str) -> None:
    with pytest.raises(ChatError) as refused:
        resources.check_url(url)
    assert refused.value.code == "invalid"
    assert problem in refused.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org",
        "https://example.org/articles/endings?lang=en#part-2",
        "HTTPS://Example.org/Path",
        "https://example.org:8443/a_(b)",
        "https://example.org/" + "a" * (2000 - len("https://example.org/")),
    ],
)
def test_http_and_https_links_are_accepted_as_given(url: str) -> None:
    assert resources.check_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://www.Example.org/page", "example.org"),
        ("http://bacp.co.uk", "bacp.co.uk"),
        ("https://sub.www.example.org:8080/x", "sub.www.example.org"),
    ],
)
def test_the_domain_shown_is_the_site_people_recognise(url: str, shown: str) -> None:
    assert resources.domain(url) == shown


@pytest.mark.parametrize(
    ("title", "note", "fields"),
    [
        ("ab", "", {"title"}),
        ("x" * 201, "", {"title"}),
        ("   \n  ", "", {"title"}),
        ("A fine title", "n" * 501, {"note"}),
        ("ab", "n" * 501, {"title", "note"}),
    ],
)
def test_title_and_note_have_limits_each_named(title: str, note: str, fields: set[str]) -> None:
    with pytest.raises(ValidationError) as refused:
        resources.clean(title, "https://example.org", note)
    assert set(refused.value.fields) == fields


def test_titles_become_one_line_and_notes_keep_their_lines() -> None:
    title, url, note = resources.clean(
        "  Endings \n in   therapy ", "https://a.org", " one\r\ntwo "
    )
    assert (title, url, note) == ("Endings in therapy", "https://a.org", "one\ntwo")


def share(dbs: Session, user: User, room: ChatSession, title: str = "On endings", **kw):
    shared, _ = resources.share(
        dbs, user, room, title, kw.pop("url", "https://www.example.org/endings"),
        kw.pop("note", ""), str(uuid.uuid4()), kw.pop("now", live(room)), LOBBY,
    )  # fmt: skip
    return shared


def test_sharing_only_while_the_room_is_open(dbs: Session, room: ChatSession, member: User) -> None:
    for when in (room.starts_at - timedelta(hours=2), room.starts_at + timedelta(hours=2)):
        with pytest.raises(ChatError) as refused:
            share(dbs, member, room, now=when)
        assert refused.value.code == "room_closed"
    assert share(dbs, member, room, now=room.starts_at - timedelta(minutes=5))["votes"] == 0


def test_a_resend_with_the_same_client_id_shares_once(
    dbs: Session, room: ChatSession, member: User
) -> None:
    client_id = str(uuid.uuid4())
    args = ("On endings", "https://example.org", "", client_id, live(room), LOBBY)
    first, heard = resources.share(dbs, member, room, *args)
    again, heard_again = resources.share(dbs, member, room, *args)
    assert first["id"] == again["id"] and len(heard) == 1 and heard_again == []


def test_members_share_one_every_20_seconds_and_ten_a_session(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    share(dbs, member, room, now=live(room, 1))
    with pytest.raises(ChatError) as soon:
        share(dbs, member, room, now=live(room, 1) + timedelta(seconds=5))
    assert soon.value.code == "rate_limited"
    for n in range(2, 11):
        share(dbs, member, room, now=live(room, n))
    with pytest.raises(ChatError) as full:
        share(dbs, member, room, now=live(room, 12))
    assert full.value.code == "rate_limited" and "Remove one" in full.value.message
    for _ in range(12):  # staff are exempt
        share(dbs, guest, room, now=live(room, 1))


def test_featuring_one_unfeatures_the_other_and_the_panel_puts_it_first(
    dbs: Session, room: ChatSession, member: User, guest: User, organiser: User
) -> None:
    first = share(dbs, member, room, "First link", now=live(room, 1))
    second = share(dbs, member, room, "Second link", now=live(room, 2))
    third = share(dbs, guest, room, "Third link", now=live(room, 3))
    resources.vote(dbs, guest, room, second["id"], True, live(room, 4), LOBBY)
    titles = [r["title"] for r in resources.panel(dbs, room, member)]
    assert titles == ["Second link", "Third link", "First link"]  # votes, then newest
    resources.feature(dbs, guest, room, first["id"], True)
    events = resources.feature(dbs, organiser, room, third["id"], True)
    assert {(e.payload["id"], e.payload["featured"]) for e in events} == {
        (third["id"], True),
        (first["id"], False),
    }
    shown = resources.panel(dbs, room, guest)
    assert [(r["title"], r["featured"], r["voted"]) for r in shown] == [
        ("Third link", True, False),
        ("Second link", False, True),
        ("First link", False, False),
    ]


def test_the_recap_lists_what_is_left_and_the_markdown_links_it(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    kept = share(dbs, member, room, "Kept [link]", note="Worth *reading*",
                 url="https://example.org/a_(b)", now=live(room, 1))  # fmt: skip
    gone = share(dbs, member, room, "Removed link", now=live(room, 2))
    resources.vote(dbs, guest, room, kept["id"], True, live(room, 3), LOBBY)
    resources.remove(dbs, guest, room, gone["id"], live(room, 4))
    view = recaps.build(dbs, room, live(room, 90))
    assert [(r.title, r.domain, r.votes) for r in view.resources] == [
        ("Kept [link]", "example.org", 1)
    ]
    markdown = recaps.to_markdown(view)
    assert "## Resources shared" in markdown
    assert (
        "- [Kept \\[link\\]](<https://example.org/a_%28b%29>) (example.org, 1 upvote)" in markdown
    )
    assert "Worth \\*reading\\*" in markdown and "Removed link" not in markdown
    assert "Tam" not in markdown.split("## Resources shared")[1]  # no sharer named
    assert recaps.to_pdf(view).startswith(b"%PDF")


def test_a_deleted_account_takes_its_resources_out_and_keeps_them_in_its_data(
    dbs: Session, room: ChatSession, guest: User
) -> None:
    leaver = make_user(dbs, "leaver@example.org", "Lee")
    share(dbs, leaver, room, "Leaver's link", now=live(room, 1))
    exported = mydata.export(dbs, leaver, live(room, 2))["resources_shared"]
    assert [(r["title"], r["removed_at"]) for r in exported] == [("Leaver's link", None)]
    deletion.delete_account(dbs, leaver, PASSWORD, live(room, 3))
    assert resources.panel(dbs, room, guest) == []
    assert resources.library(dbs).total == 0
    assert recaps.build(dbs, room, live(room, 90)).resources == ()


def test_the_library_leaves_out_cancelled_sessions_and_rehearsals(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    share(dbs, member, room, "In the real room", now=live(room, 1))
    rehearsal = rehearsals.start_rehearsal(dbs, guest, room, live(room, 2))
    share(dbs, guest, rehearsal, "In the rehearsal", now=live(room, 3))
    assert [r.title for r in resources.library(dbs).items] == ["In the real room"]
    room.cancelled = True
    dbs.commit()
    assert resources.library(dbs).total == 0


def test_library_search_matches_words_in_title_note_or_domain_and_escapes_wildcards(
    dbs: Session, room: ChatSession, member: User, guest: User
) -> None:
    share(dbs, member, room, "Endings in therapy", url="https://bacp.co.uk/x", now=live(room, 1))
    share(dbs, member, room, "A free course", note="On 100% of endings",
          url="https://learn.example.org", now=live(room, 2))  # fmt: skip
    share(dbs, guest, room, "Books_list", url="https://books.test", now=live(room, 3))

    def titles(query: str) -> set[str]:
        return {r.title for r in resources.library(dbs, query=query).items}

    assert titles("ENDINGS") == {"Endings in therapy", "A free course"}
    assert titles("bacp") == {"Endings in therapy"}
    assert titles("endings course") == {"A free course"}
    assert titles("100%") == {"A free course"}
    assert titles("%") == {"A free course"}
    assert titles("s_l") == {"Books_list"}
