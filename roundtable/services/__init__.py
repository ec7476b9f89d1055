"""Writes and workflows of the roundtable: calls and pitches, the agenda, meetings,
breakouts and reports.

Each transition is one service that checks the current state and raises
``ValidationError`` on an illegal move; callers use ``services.<name>``.
"""

from roundtable.services.agenda import move_pitch
from roundtable.services.agenda import publish_agenda
from roundtable.services.agenda import schedule_pitches
from roundtable.services.commitments import can_report
from roundtable.services.commitments import record_commitment
from roundtable.services.commitments import report_progress
from roundtable.services.commitments import send_due_reminders
from roundtable.services.commitments import set_commitment_state
from roundtable.services.meetings import accept_meeting
from roundtable.services.meetings import cancel_meeting
from roundtable.services.meetings import decline_meeting
from roundtable.services.meetings import expire_meeting_requests
from roundtable.services.meetings import record_meeting_match
from roundtable.services.meetings import request_meeting
from roundtable.services.pitches import accept_pitch
from roundtable.services.pitches import can_translate_pitch
from roundtable.services.pitches import confirm_pitch
from roundtable.services.pitches import create_pitch
from roundtable.services.pitches import mark_presented
from roundtable.services.pitches import rebuild_stored_decks
from roundtable.services.pitches import reject_pitch
from roundtable.services.pitches import release_decisions
from roundtable.services.pitches import release_event_decisions
from roundtable.services.pitches import review_pitch
from roundtable.services.pitches import start_review
from roundtable.services.pitches import submit_pitch
from roundtable.services.pitches import update_pitch
from roundtable.services.pitches import withdraw_pitch
from roundtable.services.sessions import REPORT_FIELDS
from roundtable.services.sessions import assign_rapporteur
from roundtable.services.sessions import cancel_breakout_registration
from roundtable.services.sessions import may_write_report
from roundtable.services.sessions import publish_session_report
from roundtable.services.sessions import register_for_breakout
from roundtable.services.sessions import write_session_report

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
