"""iCalendar (RFC 5545) feeds: the whole schedule and one session's "add to calendar"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from icalendar import Calendar, Event

from chat.models import ChatSession
from chat.services import rooms


def session_uid(session: ChatSession, domain: str) -> str:
    """A UID that stays the same for a session forever, so calendar apps update in place."""
    return f"session-{session.id}@{domain}"


def _event(session: ChatSession, domain: str, url: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", session_uid(session, domain))
    event.add("dtstamp", now)
    event.add("dtstart", session.starts_at)
    event.add("dtend", rooms.ends_at(session))
    event.add(
        "summary", f"{session.series.name}: {session.title}" if session.series else session.title
    )
    facilitators = ", ".join(f.display_name for f in session.facilitators)
    details = [session.description]
    if facilitators:
        details.append(f"Facilitated by {facilitators}.")
    if session.content_note:
        details.append(f"Content note: {session.content_note}")
    details.append(url)
    event.add("description", "\n\n".join(part for part in details if part))
    event.add("url", url)
    event.add("sequence", session.revision)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    return event


def calendar_feed(
    sessions: Iterable[tuple[ChatSession, str]], name: str, domain: str, now: datetime
) -> bytes:
    """An RFC 5545 calendar with one VEVENT per (session, its page URL)."""
    cal = Calendar()
    cal.add("prodid", "-//TraineeTalk Live//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for session, url in sessions:
        cal.add_component(_event(session, domain, url, now))
    return cal.to_ical()
