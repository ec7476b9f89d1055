"""Curators import an IATI activity file: drafts for review, or every problem."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import render

from matchmaking.models import ImportedActivity
from matchmaking.models import Provider
from matchmaking.views.common import _curator_only


@login_required
def iati_import(request: HttpRequest) -> HttpResponse:
    """Upload an activity file; list the drafts made or the problems found."""
    # Imported here, not at the top: the IATI code and lxml (about 10 ms of
    # CPU) would otherwise load in every web worker as it starts, through
    # the URLconf, for the few requests that import an activity file.
    from matchmaking.funding.iati_import import MAX_FILE_BYTES
    from matchmaking.funding.iati_import import IatiInvalid
    from matchmaking.funding.iati_import import import_activities

    _curator_only(request)
    problems: list[str] = []
    drafts = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        provider = Provider.objects.filter(ref=request.POST.get("provider", "")).first()
        if upload is None:
            problems = ["file: choose an IATI activity file (XML)."]
        elif upload.size and upload.size > MAX_FILE_BYTES:
            problems = [f"file: larger than {MAX_FILE_BYTES} bytes."]
        else:
            try:
                drafts = import_activities(
                    content=upload.read(),
                    source_name=upload.name or "upload.xml",
                    user=request.user,
                    provider=provider,
                )
            except IatiInvalid as invalid:
                problems = invalid.problems
    recent = ImportedActivity.objects.select_related(
        "programme", "duplicate_of"
    ).order_by("-imported_at", "-id")[:20]
    return render(
        request,
        "matchmaking/iati_import.html",
        {
            "drafts": drafts,
            "problems": problems,
            "recent": recent,
            "providers": Provider.objects.order_by("name").values_list("ref", "name"),
        },
        status=400 if problems else 200,
    )
