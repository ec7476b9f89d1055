"""HTML forms: they validate shape; services enforce the rules."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.db.models import Case
from django.db.models import Model
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import When
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from matchmaking import joining
from matchmaking.enums import DeliveryOutcome
from matchmaking.enums import MembershipRole
from matchmaking.enums import RegionLevel
from matchmaking.explain import active_language
from matchmaking.explain import language_name
from matchmaking.govuk_forms import GovukFormMixin
from matchmaking.i18n import available_languages
from matchmaking.i18n import display_name
from matchmaking.i18n import sorted_by_name
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import TAG_FIELDS
from matchmaking.models import UN_LANGUAGES
from matchmaking.models import Country
from matchmaking.models import JoinKind
from matchmaking.models import JoinRequest
from matchmaking.models import Language
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import SearchScope
from matchmaking.models import Theme
from matchmaking.models import TokenScope
from matchmaking.models import Topic
from matchmaking.models import User
from matchmaking.models import ends_before_start
from matchmaking.stats.scope import DEFAULT_COLUMNS
from matchmaking.stats.scope import DEFAULT_ROWS
from matchmaking.stats.scope import ColumnDimension
from matchmaking.stats.scope import RowDimension
from matchmaking.stats.scope import StatsFilter
from matchmaking.webhooks.events import event_type_choices


def text_box(
    label: Any, max_length: int, *, rows: int = 3, required: bool = True, **options: Any
) -> forms.CharField:
    """A multi-line text field of at most ``max_length`` characters."""
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows}),
        max_length=max_length,
        required=required,
        **options,
    )


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def sort_choices_by_name(field: forms.ModelChoiceField) -> None:
    """Offer a field's rows in the reader's alphabetical order, in their language."""
    rows = sorted_by_name(field.queryset, display_name)
    field.widget.choices = [(row.pk, display_name(row)) for row in rows]


def topic_groups(form: forms.BaseForm, name: str = "topics") -> list[tuple[str, list]]:
    """The topic checkboxes grouped under their theme, for the taxonomy picker."""
    themes = {
        topic.slug: topic.theme.label for topic in Topic.objects.select_related("theme")
    }
    groups: dict[str, list] = {}
    for option in form[name]:
        theme = themes.get(str(option.data["value"]), "")
        groups.setdefault(theme, []).append(option)
    return list(groups.items())


class ContentLanguageField(forms.ModelChoiceField):
    """The language a text is written in: the six UN languages first, then others."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Written in"))
        kwargs.setdefault(
            "help_text", _("The language you write the title and text in.")
        )
        kwargs.setdefault("empty_label", None)
        # Optional: a form posted without it keeps the record's language (a
        # new record: the author's interface language).
        kwargs.setdefault("required", False)
        super().__init__(queryset=content_languages(), **kwargs)
        self.widget.attrs["class"] = "govuk-select"

    def label_from_instance(self, obj: Language) -> str:
        return language_name(obj.code, obj.name)


class _UnLanguagesField(forms.ModelMultipleChoiceField):
    """The UN languages ticked: shown as required, checked with the others."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value: Any) -> Any:
        if not value:
            return self.queryset.none()
        return super().clean(value)

    def label_from_instance(self, obj: Language) -> str:
        return language_name(obj.code, obj.name)


class _OtherLanguagesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Language) -> str:
        return language_name(obj.code, obj.name)


def content_languages() -> QuerySet[Language]:
    """Languages a text may be written in, the UN languages first."""
    return Language.objects.annotate(
        un_first=Case(When(code__in=UN_LANGUAGES, then=0), default=1)
    ).order_by("un_first", "code")


def default_content_language() -> str:
    """The active (UI) language when the Language table has it, else English."""
    code = active_language()
    return code if Language.objects.filter(code=code).exists() else "en"


class TranslationForm(GovukFormMixin, forms.Form):
    """Add or edit the translation of a record's title and summary."""

    language = ContentLanguageField(
        label=_("Language"), help_text=_("The language of this translation.")
    )
    title = forms.CharField(label=_("Translated title"), max_length=300)
    summary = text_box(_("Translated summary"), SHORT_TEXT, required=False)

    def __init__(self, *args: Any, original: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if original:
            self.fields["language"].queryset = content_languages().exclude(
                code=original
            )


class TaggedRecordForm(GovukFormMixin, forms.ModelForm):
    """Shared set-up of the need and programme forms."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_language"] = ContentLanguageField()
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("content_language", default_content_language())
        self.fields["topics"].widget = forms.CheckboxSelectMultiple()
        self.fields["topics"].queryset = Topic.objects.select_related("theme").order_by(
            "theme__position", "position", "slug"
        )
        self.fields["topics"].help_text = _("Choose every topic the help is about.")
        # The six UN languages are ticked; any other ISO 639-1 language is
        # chosen from the list below them; together they are the record's.
        self.fields["languages"] = _UnLanguagesField(
            label=self.fields["languages"].label,
            queryset=content_languages().filter(code__in=UN_LANGUAGES),
            help_text=_("The languages the work can be done in."),
        )
        self.fields["other_languages"] = _OtherLanguagesField(
            label=_("Other languages"),
            queryset=content_languages().exclude(code__in=UN_LANGUAGES),
            required=False,
            help_text=_("Hold Ctrl (or Cmd) to choose several."),
        )
        if self.instance.pk and not self.is_bound:
            chosen = list(self.instance.languages.values_list("code", flat=True))
            self.initial["languages"] = [c for c in chosen if c in UN_LANGUAGES]
            self.initial["other_languages"] = [
                c for c in chosen if c not in UN_LANGUAGES
            ]
        others = self.fields["other_languages"].widget
        others.attrs.update(
            {
                "class": "govuk-select govuk-select--multiple",
                "size": "8",
                "data-field": "other_languages",
                "aria-describedby": "id_other_languages_helptext",
            }
        )
        order = [n for n in self.fields if n != "other_languages"]
        order.insert(order.index("languages") + 1, "other_languages")
        self.order_fields(order)
        # Topics are grouped by theme (topic_groups); the others are ticked.
        for name in (f for f in TAG_FIELDS if f != "topics"):
            self.fields[name].widget = forms.CheckboxSelectMultiple()
            self.fields[name].widget.choices = self.fields[name].choices
            self.fields[name].widget.attrs["data-field"] = name

    def topic_groups(self) -> list[tuple[str, list]]:
        return topic_groups(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        others = data.pop("other_languages", None)
        if "languages" in data:
            chosen = [*data["languages"], *(others or ())]
            if not chosen:
                self.add_error(
                    "languages", self.fields["languages"].error_messages["required"]
                )
            data["languages"] = chosen
        return data

    def _choose_owner(
        self, name: str, owners: Sequence[Model] | None, candidates: QuerySet
    ) -> None:
        """The first field of a new record: which of ``owners`` it is for.

        Hidden when there is one; absent when editing or with no ``owners``.
        """
        if self.instance.pk or not owners:
            del self.fields[name]
        else:
            field = self.fields[name]
            field.queryset = candidates.filter(pk__in=[o.pk for o in owners])
            if len(owners) == 1:
                field.initial = owners[0].pk
                field.widget = forms.HiddenInput()
            field.widget.attrs["class"] = "govuk-select"
        self.order_fields([name])

    def clean_content_language(self) -> Language:
        chosen = self.cleaned_data.get("content_language")
        if chosen is not None:
            return chosen
        if self.instance.pk:
            return self.instance.content_language
        return Language.objects.get(code=default_content_language())


class NeedForm(TaggedRecordForm):
    """Create or edit a need."""

    member_state = forms.ModelChoiceField(
        label=_("Member state"), queryset=MemberState.objects.none()
    )

    class Meta:
        model = Need
        # Who may see it when confidential is the state's to edit too.
        fields = [*Need.EDITABLE_FIELDS, "shared_with"]
        widgets = {
            "priority": forms.RadioSelect,
            "visibility": forms.RadioSelect,
            "needed_by": _date_widget(),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "title": _("A short name for the help you need."),
            "summary": _("One or two sentences that say what the need is."),
            "visibility": _(
                "Public needs are seen by anyone; registered ones by signed-in "
                "states and providers; confidential ones only by your state and "
                "the secretariat."
            ),
            "needed_by": _("Leave empty if there is no deadline."),
        }

    def __init__(
        self, *args: Any, member_states: list[MemberState] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["priority"].empty_label = None
        self.fields["priority"].required = False
        self.fields["priority"].widget.choices = self.fields["priority"].choices
        self.fields["visibility"].widget.choices = self.fields["visibility"].choices
        self.fields["shared_with"].queryset = Provider.objects.order_by("name", "id")
        self._choose_owner(
            "member_state",
            member_states,
            MemberState.objects.select_related("country"),
        )


class ProgrammeForm(TaggedRecordForm):
    """Create or edit a programme."""

    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.none()
    )

    class Meta:
        model = Programme
        fields = list(Programme.EDITABLE_FIELDS)
        widgets = {
            "starts_on": _date_widget(),
            "ends_on": _date_widget(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "cost_model": forms.RadioSelect,
        }
        help_texts = {
            "eligible_regions": _(
                "Leave regions and countries empty if any state may apply."
            ),
            "eligible_countries": _("Hold Ctrl (or Cmd) to choose several."),
            "starts_on": _("Leave empty if it runs all year."),
        }

    def __init__(
        self, *args: Any, providers: list[Provider] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eligible_regions"].widget = forms.CheckboxSelectMultiple()
        # Every M49 grouping a programme may name: regions, sub-regions and
        # intermediate regions (the reference data and the API take them all).
        self.fields["eligible_regions"].queryset = Region.objects.all()
        self.fields["eligible_countries"].queryset = Country.objects.filter(
            Q(is_un_member=True) | Q(is_observer=True)
        )
        for name in ("eligible_regions", "eligible_countries"):
            sort_choices_by_name(self.fields[name])
        self.fields["cost_model"].empty_label = None
        self.fields["cost_model"].widget.choices = self.fields["cost_model"].choices
        self._choose_owner("provider", providers, Provider.objects.all())


class DeclineForm(GovukFormMixin, forms.Form):
    reason = text_box(_("Why do you decline?"), NOTE_TEXT)


class MessageForm(GovukFormMixin, forms.Form):
    """A message to the other side of a match (plain text; links become links)."""

    body = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=NOTE_TEXT,
        error_messages={"required": _("Write a message.")},
    )


class FeedbackForm(GovukFormMixin, forms.Form):
    """How a completed delivery went."""

    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("1 is poor, 5 is excellent."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=DeliveryOutcome.choices, widget=forms.RadioSelect
    )
    comments = text_box(_("Comments"), SHORT_TEXT, rows=4, required=False)


class ProposeMatchForm(GovukFormMixin, forms.Form):
    """A curator proposes a programme for a need."""

    need = forms.SlugField(widget=forms.HiddenInput)
    programme = forms.SlugField(
        label=_("Programme reference"),
        help_text=_("For example prog-3f9a1c2b; search above to find it."),
    )
    note = text_box(
        _("Why this programme?"),
        NOTE_TEXT,
        help_text=_("The state and the provider both read this note."),
    )


def _with_empty(field: forms.ModelChoiceField, label: Any = "") -> None:
    """Sort a choice field's rows by name in the reader's language, after an
    empty choice."""
    sort_choices_by_name(field)
    field.widget.choices = [("", label), *field.widget.choices]


class InvitationForm(GovukFormMixin, forms.Form):
    """A curator invites someone to act for a state or a provider.

    Every UN member and observer state is offered (its member state is created
    when the invitation is sent); the role follows the organisation unless
    the curator chooses another.
    """

    email = forms.EmailField(label=_("Email address"))
    state = forms.ModelChoiceField(
        label=_("Member state"),
        queryset=Country.objects.none(),
        required=False,
        help_text=_("Choose a member state or a provider, not both."),
    )
    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.all(), required=False
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("", _("Usual role for the organisation")), *MembershipRole.choices],
        required=False,
        help_text=_(
            "Focal point for a member state, programme manager for a provider."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = joining.states()
        _with_empty(self.fields["state"])
        _with_empty(self.fields["provider"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("state")) == bool(data.get("provider")):
            raise forms.ValidationError(
                _("Choose a member state or a provider, not both.")
            )
        return data


class AcceptInvitationForm(GovukFormMixin, forms.Form):
    """A new user chooses a username and a password."""

    username = forms.RegexField(
        label=_("Username"),
        regex=r"^[\w.@+-]+$",
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken."))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                validate_password(p1, User(username=data.get("username", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ProfileForm(GovukFormMixin, forms.ModelForm):
    class Meta:
        model = User
        # The e-mail address changes through EmailChangeForm (a link mailed to
        # the new address), never here.
        fields = ["first_name", "last_name", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only languages the interface is translated into; blank follows the
        # browser's Accept-Language.
        choices = [("", _("The browser's language"))] + [
            (language["code"], language["name_local"])
            for language in available_languages()
        ]
        self.fields["language"].choices = choices
        self.fields["language"].widget.choices = choices


class ApiTokenForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say what will use it, for example “reporting script”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"), choices=(), widget=forms.RadioSelect, initial="read"
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=_date_widget(),
        help_text=_("Leave empty for a token that does not expire."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = TokenScope.choices
        self.fields["scope"].widget.choices = TokenScope.choices


class AllocationForm(GovukFormMixin, forms.Form):
    """Options of the engine's capacity-aware slate."""

    fairness = forms.BooleanField(
        label=_("Favour least developed countries and small island developing States"),
        required=False,
        help_text=_("Their pairings count 1.25 times (1.5 when both) in the total."),
    )
    need_limit = forms.TypedChoiceField(
        label=_("Programmes per need"),
        choices=[(str(n), str(n)) for n in range(1, 4)],
        coerce=int,
        initial="1",
    )


class ApplySlateForm(GovukFormMixin, forms.Form):
    """The pairs of a proposed slate, proposed in one step with one note."""

    pairs = forms.CharField(widget=forms.HiddenInput, max_length=100_000)
    note = text_box(
        _("Why this programme?"),
        NOTE_TEXT,
        help_text=_("The state and the provider both read this note."),
    )

    def clean_pairs(self) -> list[tuple[int, int]]:
        try:
            return [
                (int(need), int(programme))
                for need, programme in (
                    pair.split(":") for pair in self.cleaned_data["pairs"].split()
                )
            ]
        except ValueError:
            raise forms.ValidationError(
                _("The slate has changed: propose a slate again.")
            ) from None


class _Options(forms.models.ModelChoiceIterator):
    """The options from one plain query (not a server-side cursor's three trips)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class _ModelChoiceField(forms.ModelChoiceField):
    iterator = _Options


def _month_field(label: Any, example: Any) -> forms.DateField:
    """An optional month (YYYY-MM) picked with the browser's month input."""
    return forms.DateField(
        required=False,
        input_formats=["%Y-%m"],
        label=label,
        help_text=example,
        widget=forms.DateInput(
            format="%Y-%m",
            attrs={"class": "govuk-input govuk-input--width-10", "type": "month"},
        ),
        error_messages={"invalid": gettext_lazy("Enter a month as YYYY-MM.")},
    )


class StatsFilterForm(forms.Form):
    """Theme, region and period (months), plus the heat map's dimensions."""

    theme = _ModelChoiceField(
        Theme.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=gettext_lazy("All themes"),
        label=gettext_lazy("Theme"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    region = _ModelChoiceField(
        Region.objects.exclude(level=RegionLevel.INTERMEDIATE).order_by(
            "level", "name_en"
        ),
        required=False,
        empty_label=gettext_lazy("All regions"),
        label=gettext_lazy("Region or sub-region"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    start = _month_field(
        gettext_lazy("From (month)"), gettext_lazy("For example 2026-01")
    )
    end = _month_field(gettext_lazy("To (month)"), gettext_lazy("For example 2026-12"))
    rows = forms.ChoiceField(
        choices=[
            ("theme", gettext_lazy("Themes")),
            ("topic", gettext_lazy("Topics")),
        ],
        required=False,
        label=gettext_lazy("Heat map rows"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    columns = forms.ChoiceField(
        choices=[
            ("region", gettext_lazy("Regions")),
            ("subregion", gettext_lazy("Sub-regions")),
        ],
        required=False,
        label=gettext_lazy("Heat map columns"),
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if ends_before_start(start, end):
            self.add_error("end", _("The last month cannot be before the first."))
        return data

    def filters(self) -> StatsFilter:
        """The valid filters as the statistics take them."""
        data = self.cleaned_data
        return StatsFilter(
            theme=data["theme"].pk if data.get("theme") else None,
            region=data["region"].pk if data.get("region") else None,
            start=data.get("start"),
            end=data.get("end"),
        )

    def dimensions(self) -> tuple[RowDimension, ColumnDimension]:
        """The heat map's rows and columns chosen, or the defaults."""
        return (
            self.cleaned_data.get("rows") or DEFAULT_ROWS,
            self.cleaned_data.get("columns") or DEFAULT_COLUMNS,
        )


def stats_viewer(request: HttpRequest) -> Any:
    """The user whose scope the figures use; curators may preview public ones."""
    if request.GET.get("view") == "public":
        return AnonymousUser()
    return request.user


# --- joining (matchmaking/joining.py) ------------------------------------------


class JoinRequestForm(GovukFormMixin, forms.ModelForm):
    """Ask to join: a provider organisation, or a member state's focal point.

    ``nickname`` is a honeypot: hidden from people, filled by form robots.
    """

    kind = forms.ChoiceField(
        label=_("Joining as"),
        choices=JoinKind.choices,
        widget=forms.RadioSelect,
    )
    nomination_letter = forms.FileField(
        label=capfirst(JoinRequest._meta.get_field("nomination_letter").verbose_name),
        required=False,
        help_text=_("A PDF of at most 10 pages and 5 MB, signed by your government."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    nickname = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = JoinRequest
        fields = [
            "kind",
            "contact_name",
            "email",
            "position",
            "organisation_name",
            "stakeholder_group",
            "website",
            "country",
            "nomination_letter",
            "message",
        ]
        labels = {
            "country": _("Country"),
            "organisation_name": _("Organisation name"),
        }
        help_texts = {
            "country": _(
                "For a focal point: the member state nominating you. For an "
                "organisation: where it is based."
            ),
            "email": _("We send a link to this address to confirm it."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = joining.states()
        _with_empty(self.fields["country"])
        _with_empty(self.fields["stakeholder_group"])
        self.fields["message"].widget.attrs["rows"] = 3


class JoinDecisionForm(GovukFormMixin, forms.Form):
    """A curator's reason for rejecting a request to join."""

    reason = text_box(_("Reason (sent to the requester)"), NOTE_TEXT, required=False)


class ColleagueInvitationForm(GovukFormMixin, forms.Form):
    """A programme manager invites a colleague to their verified provider."""

    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (MembershipRole.MANAGER, MembershipRole.MANAGER.label),
            (MembershipRole.VIEWER, MembershipRole.VIEWER.label),
        ],
        initial=MembershipRole.MANAGER,
        widget=forms.RadioSelect,
    )


class EmailChangeForm(GovukFormMixin, forms.Form):
    """A new e-mail address, confirmed by the current password."""

    email = forms.EmailField(label=_("New email address"))
    password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class WebhookForm(GovukFormMixin, forms.Form):
    """Subscribe a URL to events (``with_active``: the edit form's on/off)."""

    url = forms.URLField(
        label=_("Payload URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Events are sent here by POST, signed. Only public http(s) URLs."),
    )
    description = forms.CharField(
        label=_("Description"), max_length=200, required=False
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, with_active: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = event_type_choices()
        self.fields["event_types"].choices = choices
        self.fields["event_types"].widget.choices = choices
        if not with_active:
            del self.fields["is_active"]


class SavedSearchForm(GovukFormMixin, forms.Form):
    """Save the search on the page (its parameters come along hidden)."""

    name = forms.CharField(label=_("Name this search"), max_length=200)
    scope = forms.ChoiceField(choices=(), widget=forms.HiddenInput)
    page_query = forms.CharField(
        max_length=2000, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = SearchScope.choices
