"""The member directory's service: search words, prefixes, filters, pages, privacy, and
the sessions a card shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from chat.errors import Unauthenticated
from chat.models import ChatSession, DirectorySession, MemberTerm, User, Visit
from chat.services import accounts, blocks, deletion, directory, mydata
from tests.helpers import PASSWORD, START, make_session, make_user

AFTER = datetime(2026, 12, 2, 12, 0, tzinfo=START.tzinfo)  # the room (1 Dec) has ended


def introduce(db: Session, user: User, listed: bool = True, **fields: Any) -> User:
    """Save `user`'s profile as the profile page does, listed in the directory or not."""
    profile = accounts.Profile(user.display_name, directory_listed=listed, **fields)
    return accounts.update_profile(db, user, profile)


def names(page: directory.Page) -> list[str]:
    return [card.member.display_name for card in page.cards]


def find(db: Session, viewer: User, **criteria: Any) -> list[str]:
    return names(directory.search(db, viewer, now=AFTER, **criteria))


@pytest.fixture
def people(dbs: Session, member: User) -> dict[str, User]:
    """Three listed members, one unlisted; `member` (Tam) searches."""
    ana = introduce(
        dbs,
        make_user(dbs, "ana@example.org", "Ana Silva"),
        modality="Person-centred",
        training_stage="Certificate",
        region="Scotland",
        interests="Anxiety, grief work",
        trains_at="Metanoia Institute",
    )
    ben = introduce(
        dbs,
        make_user(dbs, "ben@example.org", "Ben Okoro"),
        modality="CBT",
        training_stage="Qualified",
        region="Ontario",
        interests="Neurodiversity, anxiety in children",
    )
    cal = introduce(
        dbs,
        make_user(dbs, "cal@example.org", "Cal Day"),
        modality="person-centred",
        region="scotland",
        interests="Ecotherapy",
    )
    dee = introduce(
        dbs, make_user(dbs, "dee@example.org", "Dee Anxton"), listed=False, interests="Anxiety"
    )
    return {"ana": ana, "ben": ben, "cal": cal, "dee": dee}


def test_terms_are_the_lower_cased_words_of_the_introduction(
    dbs: Session, people: dict[str, User]
) -> None:
    terms = set(dbs.scalars(select(MemberTerm.term).where(MemberTerm.user_id == people["ana"].id)))
    assert terms == {
        "ana", "silva", "person", "centred", "certificate", "scotland", "anxiety", "grief",
        "work", "metanoia", "institute",
    }  # fmt: skip
    introduce(dbs, people["ana"], interests="Trauma")  # saving rewrites them
    terms = set(dbs.scalars(select(MemberTerm.term).where(MemberTerm.user_id == people["ana"].id)))
    assert "anxiety" not in terms and "trauma" in terms


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["Ana Silva", "Ben Okoro", "Cal Day"]),
        ("anx", ["Ana Silva", "Ben Okoro"]),  # Dee is not listed
        ("ANXIETY", ["Ana Silva", "Ben Okoro"]),
        ("anx scot", ["Ana Silva"]),  # every word must match
        ("nxiety", []),  # a prefix, not any substring
        ("person-centred", ["Ana Silva", "Cal Day"]),
        ("okoro", ["Ben Okoro"]),
        ("metan", ["Ana Silva"]),
        ("zzz", []),
        ("%", ["Ana Silva", "Ben Okoro", "Cal Day"]),  # no words at all: everyone
    ],
)
def test_search_matches_each_word_as_a_prefix(
    dbs: Session, member: User, people: dict[str, User], q: str, expected: list[str]
) -> None:
    assert find(dbs, member, q=q) == expected


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"modality": "PERSON-CENTRED"}, ["Ana Silva", "Cal Day"]),
        ({"modality": "person"}, []),  # exact, not a prefix
        ({"stage": "Qualified"}, ["Ben Okoro"]),
        ({"region": "Scotland"}, ["Ana Silva", "Cal Day"]),
        ({"region": "Scotland", "q": "eco"}, ["Cal Day"]),
        ({"interest": "anx"}, ["Ana Silva", "Ben Okoro"]),
        ({"interest": "children"}, ["Ben Okoro"]),
        ({"interest": "scotland"}, []),  # a region word, not an interest
        ({"interest": "grief", "region": "ontario"}, []),
    ],
)
def test_filters(
    dbs: Session, member: User, people: dict[str, User], criteria: dict, expected: list[str]
) -> None:
    assert find(dbs, member, **criteria) == expected


def test_filter_choices_come_from_listed_members_once_each(
    dbs: Session, member: User, people: dict[str, User]
) -> None:
    choices = directory.choices(dbs, member, accounts.TRAINING_STAGES)
    assert [m.lower() for m in choices.modalities] == ["cbt", "person-centred"]
    assert [r.lower() for r in choices.regions] == ["ontario", "scotland"]
    assert choices.stages == ["Certificate", "Qualified"]  # in the usual order


def test_blocks_hide_both_ways_and_deleted_members_go(
    dbs: Session, member: User, people: dict[str, User]
) -> None:
    blocks.block(dbs, member, people["ana"].id, START)
    blocks.block(dbs, people["ben"], member.id, START)
    assert find(dbs, member) == ["Cal Day"]
    assert "Tam" not in find(dbs, people["ana"]) + find(dbs, people["ben"])
    deletion.delete_account(dbs, people["cal"], PASSWORD, START)
    assert find(dbs, member) == []
    assert dbs.scalars(select(MemberTerm).where(MemberTerm.user_id == people["cal"].id)).all() == []


def test_nobody_signed_in_sees_nothing(dbs: Session, people: dict[str, User]) -> None:
    with pytest.raises(Unauthenticated):
        directory.search(dbs, None, now=AFTER)


def test_pages_of_twenty(dbs: Session, member: User) -> None:
    for n in range(45):
        introduce(dbs, make_user(dbs, f"p{n}@example.org", f"Person {n:02}"), region="Wales")
    first = directory.search(dbs, member, region="wales", now=AFTER)
    third = directory.search(dbs, member, region="wales", page=3, now=AFTER)
    assert (first.total, len(first.cards), first.has_next, first.has_previous) == (
        45,
        20,
        True,
        False,
    )
    assert names(third) == [f"Person {n}" for n in range(40, 45)] and not third.has_next
    seen = [n for p in (1, 2, 3) for n in find(dbs, member, region="wales", page=p)]
    assert len(set(seen)) == 45


def attend(db: Session, user: User, session: ChatSession) -> None:
    db.add(Visit(session_id=session.id, user_id=user.id, sid=f"s{user.id}", joined_at=START))
    db.commit()


def test_a_card_shows_only_ended_sessions_attended_and_chosen(
    dbs: Session, organiser: User, member: User, room: ChatSession
) -> None:
    other = make_session(dbs, organiser)
    other.title = "Beginnings"
    later = make_session(dbs, organiser)
    later.starts_at += timedelta(days=30)
    attend(dbs, member, room)
    attend(dbs, member, later)
    # Beginnings was never attended, so choosing it is ignored.
    introduce(dbs, member, shown_sessions=(room.id, other.id, later.id))
    chosen = set(dbs.scalars(select(DirectorySession.session_id)))
    assert chosen == {room.id, later.id}
    assert [s.title for s in directory.attended_sessions(dbs, member, AFTER)] == ["Endings"]
    (card,) = directory.search(dbs, member, now=AFTER).cards
    assert [s.title for s in card.sessions] == ["Endings"]  # the later one has not ended
    before = directory.search(dbs, member, now=START).cards[0]
    assert before.sessions == []  # nor had Endings, then
    assert mydata.export(dbs, member, AFTER)["directory_card"] == {
        "listed": True,
        "shown_sessions": [
            {"id": room.id, "title": "Endings"},
            {"id": later.id, "title": "Endings"},
        ],
    }
    introduce(dbs, member, shown_sessions=())
    assert directory.search(dbs, member, now=AFTER).cards[0].sessions == []


def test_deletion_clears_the_directory_fields(
    dbs: Session, organiser: User, member: User, room: ChatSession
) -> None:
    attend(dbs, member, room)
    introduce(
        dbs, member, region="Wales", specialities="Grief", contact_email="tam@clinic.example",
        contact_website="https://tam.example", shown_sessions=(room.id,),
    )  # fmt: skip
    deletion.delete_account(dbs, member, PASSWORD, AFTER)
    assert (member.region, member.specialities, member.contact_email, member.contact_website) == (
        ("", "", "", "")
    )
    assert member.directory_listed is False
    assert dbs.scalars(select(DirectorySession)).all() == []
    assert dbs.scalars(select(MemberTerm).where(MemberTerm.user_id == member.id)).all() == []


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("anx", "any"),
        ("a", "b"),
        ("caf\u00e9", "caf\u00ea"),
        ("z\U0010ffff", "{"),
        ("\ud7ff", "\ue000"),
    ],
)
def test_the_range_after_a_prefix(prefix: str, after: str) -> None:
    assert directory._after_prefix(prefix) == after


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact_email": "not an email"}, "contact_email", "Enter an email address"),
        ({"contact_website": "javascript:alert(1)"}, "contact_website", "https://"),
        ({"contact_website": "data:text/html,hi"}, "contact_website", "https://"),
        ({"contact_website": "example.org"}, "contact_website", "https://"),
        ({"contact_website": "https://" + "a" * 300}, "contact_website", "300 characters"),
        ({"region": "r" * 81}, "region", "80 characters"),
        ({"specialities": "s" * 301}, "specialities", "300 characters"),
    ],
)
def test_profile_validation(
    dbs: Session, member: User, changes: dict, field: str, message: str
) -> None:
    with pytest.raises(accounts.ValidationError) as caught:
        introduce(dbs, member, **changes)
    assert message in caught.value.fields[field]


def test_specialities_are_tidied(dbs: Session, member: User) -> None:
    introduce(
        dbs, member, specialities=" Grief,, trauma , grief ,", contact_email=" TAM@Clinic.example "
    )
    assert member.specialities == "Grief, trauma"
    assert member.contact_email == "tam@clinic.example"
