"""Expire meeting requests nobody answered in time (run it every few minutes)."""

from django.core.management.base import BaseCommand

from roundtable.services import expire_meeting_requests


class Command(BaseCommand):
    help = "Mark unanswered follow-up meeting requests past their deadline as expired."

    def handle(self, *args, **options):
        count = expire_meeting_requests()
        self.stdout.write(f"Expired {count} meeting request(s).")
