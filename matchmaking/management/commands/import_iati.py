"""Import an IATI 2.03 activity file as draft programmes for review."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from matchmaking.funding.iati_import import IatiInvalid
from matchmaking.funding.iati_import import import_activities
from matchmaking.management.importing import read_file
from matchmaking.management.importing import refuse
from matchmaking.models import Provider
from matchmaking.models import User


class Command(BaseCommand):
    help = (
        "Import the activities of an IATI 2.03 activity file as draft "
        "programmes (never published) for curators to review; on any problem "
        "nothing is written and every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the XML file")
        parser.add_argument(
            "--provider",
            help="ref of the provider to file every activity under (default: "
            "the registered provider among each activity's organisations)",
        )
        parser.add_argument("--user", help="username recorded as the importer")

    def handle(
        self,
        *args: object,
        file: str,
        provider: str | None = None,
        user: str | None = None,
        **options: object,
    ) -> None:
        content = read_file(file)
        chosen = None
        if provider:
            chosen = Provider.objects.filter(ref=provider).first()
            if chosen is None:
                raise CommandError(f"no provider with ref '{provider}'")
        importer = None
        if user:
            importer = User.objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"no user '{user}'")
        try:
            drafts = import_activities(
                content=content,
                source_name=Path(file).name,
                user=importer,
                provider=chosen,
            )
        except IatiInvalid as invalid:
            refuse(self.stderr, invalid.problems, file)
        for draft in drafts:
            note = (
                f" (possible duplicate of {draft.duplicate_of})"
                if (draft.duplicate_of)
                else ""
            )
            self.stdout.write(f"{draft.identifier} -> draft {draft.ref}{note}")
        self.stdout.write(f"{len(drafts)} draft programmes for review.")
