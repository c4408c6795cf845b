"""The member directory, the profile's directory and contact sections, speciality
facilitators on the schedule and their profile pages (HTTP)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from chat.extensions import db
from chat.models import ChatSession, User, Visit
from chat.services import accounts, blocks, deletion, schedule
from tests.helpers import PASSWORD, START, Clock, make_user

# Every field the profile form sends, as a member fills it in.
PROFILE = {
    "display_name": "Ana Silva",
    "pronouns": "she/her",
    "trains_at": "Metanoia Institute",
    "modality": "Person-centred",
    "training_stage": "Certificate",
    "region": "Scotland",
    "interests": "Ecotherapy, grief",
    "specialities": "",
    "bio": "Second-year trainee.",
    "time_zone": "",
    "contact_email": "",
    "contact_website": "",
}


@pytest.fixture
def ana(app: Any) -> User:
    """A member who filled in her profile and opted in to the directory."""
    user = make_user(db.session, "ana@example.org", "Ana Silva")
    profile = {name: value for name, value in PROFILE.items() if name != "display_name"}
    accounts.update_profile(
        db.session, user, accounts.Profile("Ana Silva", directory_listed=True, **profile)
    )
    return user


def card_names(page: str) -> list[str]:
    return re.findall(r'<h3 id="member-\d+-name">([^<]+?)(?: <span|</h3>)', page)


def hide_by_viewer(viewer: User, ana: User) -> None:
    blocks.block(db.session, viewer, ana.id, START)


def hide_by_ana(viewer: User, ana: User) -> None:
    blocks.block(db.session, ana, viewer.id, START)


def opt_out(viewer: User, ana: User) -> None:
    ana.directory_listed = False
    db.session.commit()


def delete_ana(viewer: User, ana: User) -> None:
    deletion.delete_account(db.session, ana, PASSWORD, START)


# Ana's situation, what changed, whether the viewer is signed in, and whether her card
# shows (None: the viewer is sent to sign in).
VISIBILITY = [
    ("opted in", None, True, True),
    ("opted out", opt_out, True, False),
    ("blocked by the viewer", hide_by_viewer, True, False),
    ("blocked the viewer", hide_by_ana, True, False),
    ("deleted her account", delete_ana, True, False),
    ("viewer not signed in", None, False, None),
]


@pytest.mark.parametrize(
    ("situation", "change", "signed_in", "shown"),
    [pytest.param(*row, id=row[0]) for row in VISIBILITY],
)
def test_who_sees_a_card(
    client: FlaskClient,
    auth: Any,
    member: User,
    ana: User,
    situation: str,
    change: Any,
    signed_in: bool,
    shown: bool | None,
) -> None:
    if change is not None:
        change(member, ana)
    if signed_in:
        auth.login(member.email)
    for url in ("/members", "/members?q=eco", "/members?region=scotland"):
        response = client.get(url)
        if shown is None:
            assert response.status_code == 302 and "/login" in response.location
            continue
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert ("Ana Silva" in card_names(page)) is shown, situation
        assert ("Metanoia Institute" in page) is shown
        assert ana.email not in page  # the card never shows an email


def test_a_withdrawn_opt_in_removes_the_card_at_once(
    client: FlaskClient, auth: Any, member: User, ana: User
) -> None:
    auth.login(member.email)
    assert card_names(client.get("/members?q=ana").get_data(as_text=True)) == ["Ana Silva"]
    reader = client.application.test_client()
    reader.post("/login", data={"email": ana.email, "password": PASSWORD})
    saved = reader.post("/profile", data=PROFILE)  # the box is left unticked
    assert saved.status_code == 302
    page = client.get("/members?q=ana").get_data(as_text=True)
    assert card_names(page) == []
    assert "0 members found" in page
    assert "List me in the member directory" in page  # the empty state explains opting in


def test_the_profile_page_says_what_the_card_shows_and_to_whom(
    client: FlaskClient, auth: Any, member: User
) -> None:
    auth.login(member.email)
    page = client.get("/profile").get_data(as_text=True)
    box = re.search(r'<input [^>]*name="directory_listed"[^>]*>', page)
    assert box and 'type="checkbox"' in box.group(0) and "checked" not in box.group(0)  # off
    assert 'aria-describedby="directory-listed-what directory-listed-who"' in box.group(0)
    assert "only members who are signed in" in page and "never public" in page
    assert "members you have blocked, or who have blocked you" in page
    assert "Only members you are connected with see these" in page
    assert "Shown on your facilitator profile when you facilitate" in page


def test_opting_in_with_a_session_to_show(
    client: FlaskClient, auth: Any, member: User, organiser: User, clock: Clock
) -> None:
    form = schedule.SessionInput(
        "Endings", datetime(2026, 12, 1, 20, 0), datetime(2026, 12, 1, 21, 0), "Europe/London"
    )
    endings = schedule.create_session(db.session, organiser, form, START)
    db.session.add(Visit(session_id=endings.id, user_id=member.id, sid="x", joined_at=START))
    db.session.commit()
    auth.login(member.email)
    assert 'name="shown_sessions"' not in client.get("/profile").get_data(as_text=True)
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)  # Endings is over: it can be shown
    assert 'name="shown_sessions"' in client.get("/profile").get_data(as_text=True)
    data = PROFILE | {"display_name": "Tam", "directory_listed": "y", "shown_sessions": endings.id}
    assert client.post("/profile", data=data).status_code == 302
    assert 'value="1" checked' in client.get("/profile").get_data(as_text=True)
    page = client.get("/members").get_data(as_text=True)
    assert card_names(page) == ["Tam"]
    assert "Sessions attended" in page and "Endings, Tue 1 Dec 2026" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact_email": "tam at clinic"}, "contact_email", "Enter an email address"),
        ({"contact_website": "javascript:alert(1)"}, "contact_website", "https://"),
        ({"contact_website": "ftp://files.example"}, "contact_website", "https://"),
        ({"region": "x" * 81}, "region", "80 characters"),
        ({"shown_sessions": "999"}, "shown_sessions", "Not a valid choice"),
    ],
)
def test_profile_errors_show_next_to_the_field(
    client: FlaskClient, auth: Any, member: User, changes: dict, field: str, message: str
) -> None:
    auth.login(member.email)
    response = client.post("/profile", data=PROFILE | changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match and message.lower() in match.group(1).lower(), page
    db.session.refresh(member)
    assert member.region == "" and member.contact_website == ""


def test_contact_details_are_saved(client: FlaskClient, auth: Any, member: User) -> None:
    auth.login(member.email)
    data = PROFILE | {
        "contact_email": "Tam@Clinic.example",
        "contact_website": "https://tam.example",
    }
    assert client.post("/profile", data=data).status_code == 302
    db.session.refresh(member)
    assert (member.contact_email, member.contact_website) == (
        "tam@clinic.example",
        "https://tam.example",
    )
    assert member.directory_listed is False  # contact details do not list anyone


def test_directory_pages_filters_and_empty_state(
    client: FlaskClient, auth: Any, member: User
) -> None:
    for n in range(23):
        person = make_user(db.session, f"p{n}@example.org", f"Person {n:02}")
        accounts.update_profile(
            db.session,
            person,
            accounts.Profile(
                person.display_name, modality="CBT", region="Wales", directory_listed=True
            ),
        )
    auth.login(member.email)
    first = client.get("/members?region=wales").get_data(as_text=True)
    assert len(card_names(first)) == 20 and "23 members found" in first
    assert 'href="/members?page=2&amp;region=wales"' in first
    second = client.get("/members?region=wales&page=2").get_data(as_text=True)
    assert card_names(second) == ["Person 20", "Person 21", "Person 22"]
    assert (
        '<option value="Wales" selected>Wales</option>' in second
        and '<option value="CBT">CBT</option>' in second
    )
    none = client.get("/members?q=zzz").get_data(as_text=True)
    assert (
        "No listed member matches this search" in none
        and 'href="/profile#directory-heading"' in none
    )


@pytest.fixture
def facilitated(organiser: User) -> dict[str, Any]:
    """Two upcoming sessions: Grief with Dr Guest (specialities Grief, Trauma), Play with
    Pia (Play therapy); a cancelled one with Cy."""
    guest = make_user(db.session, "guest@example.org", "Dr Guest")
    pia = make_user(db.session, "pia@example.org", "Pia")
    cy = make_user(db.session, "cy@example.org", "Cy")
    for person, specialities in ((guest, "Grief, Trauma"), (pia, "Play therapy"), (cy, "Grief")):
        accounts.update_profile(
            db.session,
            person,
            accounts.Profile(person.display_name, specialities=specialities, bio="Hi <b>"),
        )
    sessions: dict[str, ChatSession] = {}
    for title, day, person, cancelled in (
        ("Grief and loss", 1, guest, False),
        ("Play", 8, pia, False),
        ("Cancelled grief", 15, cy, True),
    ):
        form = schedule.SessionInput(
            title,
            datetime(2026, 12, day, 20, 0),
            datetime(2026, 12, day, 21, 0),
            "Europe/London",
            facilitator_emails=(person.email,),
            cancelled=cancelled,
        )
        sessions[title] = schedule.create_session(db.session, organiser, form, START)
    return {"guest": guest, "pia": pia, "cy": cy, **sessions}


def upcoming(page: str) -> list[str]:
    section = page.split('id="upcoming-heading"')[1].split('id="past-heading"')[0]
    return re.findall(r'id="session-\d+-title">\s*([^<\n]+)', section)


@pytest.mark.parametrize(
    ("speciality", "titles"),
    [
        ("", ["Grief and loss", "Play", "Cancelled grief"]),
        ("Grief", ["Grief and loss", "Cancelled grief"]),
        ("grief", ["Grief and loss", "Cancelled grief"]),
        ("Play therapy", ["Play"]),
        ("Play", []),  # a whole speciality, not a part of one
        ("trauma", ["Grief and loss"]),
        ("%", []),
    ],
)
def test_schedule_filter_by_speciality(
    client: FlaskClient, facilitated: dict[str, Any], speciality: str, titles: list[str]
) -> None:
    page = client.get("/", query_string={"speciality": speciality}).get_data(as_text=True)
    assert upcoming(page) == titles
    options = re.findall(
        r'<option value="([^"]*)"', page.split('id="filter-speciality"')[1].split("</select>")[0]
    )
    assert options[0] == "" and set(options[1:]) >= {"Grief", "Play therapy", "Trauma"}
    if not titles:
        assert "No upcoming session has a facilitator with the speciality" in page
        assert "Show all upcoming sessions" in page


def test_session_cards_link_facilitators_and_show_specialities(
    client: FlaskClient, facilitated: dict[str, Any]
) -> None:
    page = client.get("/").get_data(as_text=True)
    guest = facilitated["guest"]
    assert f'<a href="/facilitators/{guest.id}">Dr Guest</a>' in page
    assert "Speciality interests: Grief, Trauma" in page


def test_facilitator_page(
    client: FlaskClient, facilitated: dict[str, Any], member: User, clock: Clock
) -> None:
    guest = facilitated["guest"]
    response = client.get(f"/facilitators/{guest.id}")  # public, like the schedule
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Dr Guest" in page and "Hi &lt;b&gt;" in page
    assert 'href="/?speciality=Trauma"' in page
    assert "Grief and loss" in page and "Play" not in upcoming_on(page)
    clock.now = datetime(2026, 12, 2, tzinfo=UTC)  # the session is over
    assert "No upcoming sessions" in client.get(f"/facilitators/{guest.id}").get_data(as_text=True)
    # Only the cancelled session: no profile; nor for a member who facilitates nothing.
    assert client.get(f"/facilitators/{facilitated['cy'].id}").status_code == 404
    assert client.get(f"/facilitators/{member.id}").status_code == 404
    assert client.get("/facilitators/9999").status_code == 404


def upcoming_on(page: str) -> list[str]:
    return re.findall(r'id="session-\d+-title">\s*([^<\n]+)', page)
