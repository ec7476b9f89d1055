"""Writes and workflows of the roundtable: calls and pitches, the agenda, meetings,
breakouts and reports.

Each transition is one service that checks the current state and raises
``ValidationError`` on an illegal move; callers use ``services.<name>``.
"""

from roundtable.services.agenda import move_pitch, publish_agenda, schedule_pitches
from roundtable.services.commitments import (
    can_report,
    record_commitment,
    report_progress,
    send_due_reminders,
    set_commitment_state,
)
from roundtable.services.meetings import (
    accept_meeting,
    cancel_meeting,
    decline_meeting,
    expire_meeting_requests,
    record_meeting_match,
    request_meeting,
)
from roundtable.services.pitches import (
    accept_pitch,
    can_translate_pitch,
    confirm_pitch,
    create_pitch,
    mark_presented,
    rebuild_stored_decks,
    reject_pitch,
    release_decisions,
    release_event_decisions,
    review_pitch,
    start_review,
    submit_pitch,
    update_pitch,
    withdraw_pitch,
)
from roundtable.services.sessions import (
    REPORT_FIELDS,
    assign_rapporteur,
    cancel_breakout_registration,
    may_write_report,
    publish_session_report,
    register_for_breakout,
    write_session_report,
)

__all__ = [
    "REPORT_FIELDS",
    "accept_meeting",
    "accept_pitch",
    "assign_rapporteur",
    "can_report",
    "can_translate_pitch",
    "cancel_breakout_registration",
    "cancel_meeting",
    "confirm_pitch",
    "create_pitch",
    "decline_meeting",
    "expire_meeting_requests",
    "mark_presented",
    "may_write_report",
    "move_pitch",
    "publish_agenda",
    "publish_session_report",
    "rebuild_stored_decks",
    "record_commitment",
    "record_meeting_match",
    "register_for_breakout",
    "reject_pitch",
    "release_decisions",
    "release_event_decisions",
    "report_progress",
    "request_meeting",
    "review_pitch",
    "schedule_pitches",
    "send_due_reminders",
    "set_commitment_state",
    "start_review",
    "submit_pitch",
    "update_pitch",
    "withdraw_pitch",
    "write_session_report",
]
