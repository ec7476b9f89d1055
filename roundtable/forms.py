"""HTML forms of the roundtable: they validate shape; services enforce the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from matchmaking import selectors as mm_selectors
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import ProgrammeStatus
from matchmaking.forms import ContentLanguageField
from matchmaking.forms import default_content_language
from matchmaking.forms import text_box
from matchmaking.govuk_forms import GovukFormMixin
from matchmaking.models import LONG_TEXT
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import AssistanceType
from matchmaking.models import Country
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.models import User
from matchmaking.models import currency_codes
from roundtable import selectors
from roundtable.models import MAX_PITCH_SECONDS
from roundtable.models import REVIEW_WEIGHTS
from roundtable.models import Pitch
from roundtable.models import Review

SCORE_CHOICES = [(n, str(n)) for n in range(1, 6)]


def _score(label: Any) -> forms.TypedChoiceField:
    """A curator's score on one criterion of a review, 1 to 5."""
    return forms.TypedChoiceField(
        label=label, choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect
    )


def _offer_providers(
    form: forms.Form, providers: list[Provider], *, chosen: int | None = None
) -> list[int]:
    """Offer the providers the user acts for (hidden when the choice is made:
    one provider, or ``chosen``) and their programmes that are not drafts;
    returns the providers' ids."""
    ids = [p.pk for p in providers]
    form.fields["provider"].queryset = Provider.objects.filter(pk__in=ids)
    if chosen is not None or len(providers) == 1:
        form.fields["provider"].widget = forms.HiddenInput()
        form.fields["provider"].initial = ids[0] if chosen is None else chosen
    form.fields["programmes"].queryset = Programme.objects.filter(
        provider_id__in=ids
    ).exclude(status=ProgrammeStatus.DRAFT)
    return ids


class PitchForm(GovukFormMixin, forms.Form):
    """A pitch: title, abstract, presenter, programmes, slide deck."""

    provider = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Provider.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    abstract = text_box(
        _("Abstract"),
        SHORT_TEXT,
        rows=5,
        help_text=_("What you offer, to whom, and how to ask for it."),
    )
    content_language = ContentLanguageField(
        help_text=_("The language you write the title and abstract in.")
    )
    presenter = forms.ModelChoiceField(
        label=_("Presenter"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Who gives the pitch and answers meeting requests."),
    )
    presenter_name = forms.CharField(
        label=_("Presenter (as shown on the agenda)"), max_length=200, required=False
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programmes presented"),
        queryset=Programme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("They connect your pitch to the needs states have posted."),
    )
    duration_seconds = forms.IntegerField(
        label=_("Length (seconds)"),
        min_value=30,
        max_value=MAX_PITCH_SECONDS,
        initial=MAX_PITCH_SECONDS,
    )
    slide_deck = forms.FileField(
        label=_("Slide deck"),
        required=False,
        help_text=_("A PDF of 1 to 3 pages, at most 10 MB, not password-protected."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,.pdf", "class": "govuk-file-upload"}
        ),
    )

    def __init__(
        self,
        *args: Any,
        providers: list[Provider],
        pitch: Pitch | None = None,
        **kwargs: Any,
    ) -> None:
        if pitch is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "provider": pitch.provider_id,
                "title": pitch.title,
                "abstract": pitch.abstract,
                "content_language": pitch.content_language_id,
                "presenter": pitch.presenter_id,
                "presenter_name": pitch.presenter_name,
                "programmes": list(pitch.programmes.values_list("pk", flat=True)),
                "duration_seconds": pitch.duration_seconds,
            }
        super().__init__(*args, **kwargs)
        if pitch is None and not self.is_bound:
            self.initial.setdefault("content_language", default_content_language())
        ids = _offer_providers(
            self, providers, chosen=pitch.provider_id if pitch else None
        )
        self.fields["presenter"].queryset = selectors.presenters_for(provider_ids=ids)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("provider", None)
        data.pop("slide_deck", None)
        if data.get("content_language") is None:
            # Not posted: the pitch keeps its language (a new one: the author's).
            data.pop("content_language", None)
        if not data.get("presenter_name") and data.get("presenter"):
            presenter = data["presenter"]
            data["presenter_name"] = presenter.get_full_name() or presenter.username
        return data


class ReviewForm(GovukFormMixin, forms.Form):
    """A curator's scores, 1 to 5 on each criterion, and a comment."""

    relevance = _score(_("Relevance to stated needs"))
    clarity = _score(_("Clarity"))
    feasibility = _score(_("Feasibility"))
    reach = _score(_("Reach to LDCs and SIDS"))
    comment = text_box(_("Comment"), NOTE_TEXT, required=False)

    def __init__(self, *args: Any, review: Review | None = None, **kwargs: Any):
        if review is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(review, name) for name in REVIEW_WEIGHTS},
                "comment": review.comment,
            }
        super().__init__(*args, **kwargs)

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in REVIEW_WEIGHTS}


class MeetingRequestForm(GovukFormMixin, forms.Form):
    """A delegation asks a presenter for a bilateral meeting."""

    member_state = forms.ModelChoiceField(
        label=_("For"), queryset=MemberState.objects.none()
    )
    need = forms.ModelChoiceField(
        label=_("About your need"),
        queryset=Need.objects.none(),
        required=False,
        help_text=_("Naming a need moves its match with this programme along."),
    )
    programme = forms.ModelChoiceField(
        label=_("About the programme"),
        queryset=Programme.objects.none(),
        required=False,
    )
    message = text_box(_("Message"), NOTE_TEXT, required=False)

    def __init__(
        self, *args: Any, states: list[MemberState], pitch: Pitch, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        ids = [s.pk for s in states]
        self.fields["member_state"].queryset = MemberState.objects.filter(
            pk__in=ids
        ).select_related("country")
        if len(states) == 1:
            self.fields["member_state"].widget = forms.HiddenInput()
            self.fields["member_state"].initial = ids[0]
        # Only needs the pitch's provider may see: the meeting shows it to them.
        self.fields["need"].queryset = (
            mm_selectors.needs_visible_to_provider(provider_id=pitch.provider_id)
            .filter(member_state_id__in=ids, status__in=ACTIVE_NEED_STATUSES)
            .order_by("title")
        )
        self.fields["programme"].queryset = pitch.programmes.order_by("title")


class ReportForm(GovukFormMixin, forms.Form):
    """The rapporteur's account of a session."""

    summary = text_box(_("Summary"), LONG_TEXT, rows=6)
    key_issues = text_box(_("Key issues"), LONG_TEXT, rows=4, required=False)
    commitments = text_box(_("Commitments"), LONG_TEXT, rows=4, required=False)


class CommitmentForm(GovukFormMixin, forms.Form):
    """A commitment: who, what, for whom, how much or in kind, by when."""

    provider = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Provider.objects.none()
    )
    title = forms.CharField(label=_("Title"), max_length=300)
    description = text_box(_("Description"), SHORT_TEXT, rows=4, required=False)
    theme = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.all(), required=False
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"), queryset=Topic.objects.all(), required=False
    )
    assistance_types = forms.ModelMultipleChoiceField(
        label=_("Assistance"), queryset=AssistanceType.objects.all(), required=False
    )
    countries = forms.ModelMultipleChoiceField(
        label=_("Countries"),
        queryset=Country.objects.filter(is_un_member=True),
        required=False,
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"), queryset=Region.objects.all(), required=False
    )
    for_ldcs = forms.BooleanField(
        label=_("Least developed countries only"), required=False
    )
    for_sids = forms.BooleanField(
        label=_("Small island developing States only"), required=False
    )
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_digits=16, decimal_places=2, required=False
    )
    currency = forms.ChoiceField(label=_("Currency"), initial="USD")
    in_kind = forms.CharField(
        label=_("In kind"),
        max_length=NOTE_TEXT,
        required=False,
        help_text=_("What is given other than money (experts, training places…)."),
    )
    due_on = forms.DateField(
        label=_("By when"), widget=forms.DateInput(attrs={"type": "date"})
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Delivering programmes"),
        queryset=Programme.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    report_every_months = forms.IntegerField(
        label=_("Report progress every (months)"), min_value=1, max_value=24, initial=6
    )

    def __init__(self, *args: Any, providers: list[Provider], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _offer_providers(self, providers)
        self.fields["currency"].choices = [(c, c) for c in sorted(currency_codes())]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("provider", None)
        return data


class CommitmentReportForm(GovukFormMixin, forms.Form):
    """A progress report: narrative, share delivered, spend, evidence links."""

    narrative = text_box(_("Narrative"), LONG_TEXT, rows=4)
    share_delivered = forms.IntegerField(
        label=_("Share delivered (%)"), min_value=0, max_value=100
    )
    spend = forms.DecimalField(
        label=_("Spent so far"),
        min_value=0,
        max_digits=16,
        decimal_places=2,
        required=False,
    )
    evidence_links = text_box(
        _("Evidence links"),
        NOTE_TEXT,
        rows=2,
        required=False,
        help_text=_("One web address per line."),
    )
