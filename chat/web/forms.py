"""Form classes: parsing and CSRF. Domain rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import InputRequired, NumberRange, Optional

from chat.services.accounts import TRAINING_STAGES
from chat.services.clock import WEEKDAYS

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


class RegisterForm(FlaskForm):
    """Create an account."""

    email = EmailField("Email")
    display_name = StringField("Display name", description="Shown to others in the room.")
    pronouns = StringField("Pronouns (optional)", description="For example she/her, they/them.")
    password = PasswordField("Password", description="At least 10 characters.")


class LoginForm(FlaskForm):
    """Sign in."""

    email = EmailField("Email")
    password = PasswordField("Password")


class ProfileForm(FlaskForm):
    """A member's introduction."""

    display_name = StringField("Display name")
    pronouns = StringField("Pronouns")
    trains_at = StringField("Where you train or practise")
    modality = StringField("Modality", description="For example person-centred, CBT, integrative.")
    training_stage = SelectField(
        "Stage of training",
        choices=[SelectChoice(s, s or "Prefer not to say") for s in TRAINING_STAGES],
    )
    interests = StringField("Interests", description="Comma separated.")
    bio = TextAreaField("Short bio", description="Shown with sessions you facilitate.")
    time_zone = StringField(
        "Time zone",
        description="An IANA name like Europe/London. Leave empty to use your browser's.",
    )
    region = StringField("Country or region", description="For example Scotland, or Ontario.")
    specialities = StringField(
        "Speciality interests",
        description=(
            "Comma separated. Shown on your facilitator profile when you facilitate a "
            "session (public, like the schedule), and used to filter the schedule."
        ),
    )
    directory_listed = BooleanField("List me in the member directory")
    shown_sessions = SelectMultipleField("Sessions to show on your card", coerce=int, choices=[])
    contact_email = EmailField(
        "Contact email (optional)", description="For example a professional address."
    )
    contact_website = URLField(
        "Website (optional)", description="An address starting with https:// or http://."
    )


class SeriesForm(FlaskForm):
    """A weekly series."""

    name = StringField("Name", description="For example #TraineeTalk.")
    description = TextAreaField("Description")
    weekday = SelectField(
        "Day", coerce=int, choices=[SelectChoice(str(i), day) for i, day in enumerate(WEEKDAYS)]
    )
    local_time = StringField("Time", description="24-hour, for example 20:00.")
    time_zone = StringField("Time zone", description="An IANA name like Europe/London.")
    duration_minutes = IntegerField(
        "Duration (minutes)", default=60, validators=[InputRequired("Enter a number of minutes.")]
    )
    review_hours = IntegerField(
        "Review window (hours)",
        default=48,
        description=(
            "After each session, participants have this long to choose what its recap shows "
            "before it is published: 1 to 336 hours."
        ),
    )


class GenerateForm(FlaskForm):
    """Generate the next N weeks of a series."""

    weeks = IntegerField(
        "Weeks ahead",
        default=8,
        validators=[InputRequired("Enter a number of weeks."), NumberRange(1, 52)],
    )


class SessionForm(FlaskForm):
    """One session."""

    title = StringField("Topic")
    description = TextAreaField("Description")
    content_note = StringField(
        "Content note (optional)", description="For example: discusses suicide and self-harm."
    )
    starts_local = DateTimeLocalField("Starts", format=LOCAL_FORMATS, validators=[Optional()])
    ends_local = DateTimeLocalField("Ends", format=LOCAL_FORMATS, validators=[Optional()])
    time_zone = StringField("Time zone", description="The zone the times above are in.")
    facilitators = StringField(
        "Facilitators", description="Email addresses of registered users, comma separated."
    )
    series_id = SelectField("Series", coerce=int, choices=[])
    cancelled = BooleanField("Cancelled")


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection."""


class AddFacilitatorForm(FlaskForm):
    """Add a registered user as a co-facilitator of one session."""

    email = EmailField("Email of a registered user")


class InviteForm(FlaskForm):
    """Invite a guest, registered or not, to facilitate one session."""

    email = EmailField(
        "Guest's email",
        description="They will only be able to accept while signed in with this address.",
    )


def _minutes_field() -> IntegerField:
    return IntegerField(
        "Planned minutes",
        default=10,
        validators=[InputRequired("Enter a number of minutes.")],
    )


class PromptForm(FlaskForm):
    """Add one prompt to a run sheet, or edit one."""

    body = TextAreaField("Prompt", description="What the room will discuss, up to 500 characters.")
    duration_minutes = _minutes_field()


class PasteForm(FlaskForm):
    """Add many prompts at once: one per line."""

    lines = TextAreaField(
        "Paste prompts, one per line",
        description='Numbering such as "Q1:" or "1." at the start of a line is removed.',
    )
    duration_minutes = _minutes_field()
