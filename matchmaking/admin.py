"""Admin for curators: every model, searchable, filterable, with autocomplete."""

from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from matchmaking import services
from matchmaking.accounts import policy
from matchmaking.accounts import tokens
from matchmaking.funding.rates import refresh_usd
from matchmaking.models import TAG_FIELDS
from matchmaking.models import ApiToken
from matchmaking.models import AssistanceType
from matchmaking.models import Audience
from matchmaking.models import BudgetLine
from matchmaking.models import ContentTranslation
from matchmaking.models import CoordinationCell
from matchmaking.models import CoordinationShare
from matchmaking.models import CoordinationYear
from matchmaking.models import CoordinationYearTotal
from matchmaking.models import CostModel
from matchmaking.models import Country
from matchmaking.models import DeliveryMode
from matchmaking.models import ExchangeRate
from matchmaking.models import ImportedActivity
from matchmaking.models import Introduction
from matchmaking.models import Invitation
from matchmaking.models import JoinRequest
from matchmaking.models import Language
from matchmaking.models import MailMessage
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Message
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Priority
from matchmaking.models import Profile
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import StakeholderGroup
from matchmaking.models import TaskWorker
from matchmaking.models import Theme
from matchmaking.models import Topic
from matchmaking.models import User
from matchmaking.models import WebhookDelivery
from matchmaking.models import WebhookEndpoint

NAME_FIELDS = ("name_en", "name_fr", "name_es", "name_ar", "name_zh", "name_ru")


class RecordOnly:
    """An admin of rows kept as a record: read here, never added or changed."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecordOnlyAdmin(RecordOnly, admin.ModelAdmin):
    """Rows the platform writes itself (deliveries, contacts exchanged, alerts)."""


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user", "member_state", "provider")


class RevokingAdminPasswordChangeForm(AdminPasswordChangeForm):
    """A password set in the admin revokes the account's API tokens too."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            tokens.revoke_all_tokens(user=user, reason="password_set_in_admin")
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts. Who may change which account and field: ``accounts.policy``."""

    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_curator",
        "is_staff",
        "is_active",
    )
    list_filter = ("is_curator", "is_staff", "is_superuser", "is_active")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Platform"), {"fields": ("is_curator", "language")}),
    )
    inlines = (MembershipInline,)
    change_password_form = RevokingAdminPasswordChangeForm

    def has_add_permission(self, request):
        return super().has_add_permission(
            request
        ) and policy.may_create_account_directly(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or policy.may_change_account(actor=request.user, target=obj)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        editable = policy.account_fields_editable_by(actor=request.user)
        if editable is None or obj is None:
            return readonly
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        return (*readonly, *(f for f in fields if f not in editable))

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, unquote(id))
        if target is not None and not policy.may_set_password(
            actor=request.user, target=target
        ):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", *NAME_FIELDS)
    autocomplete_fields = ("parent",)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    list_display = (
        "iso3",
        "name_en",
        "region",
        "subregion",
        "is_un_member",
        "is_ldc",
        "is_lldc",
        "is_sids",
    )
    list_filter = (
        "is_un_member",
        "is_observer",
        "is_ldc",
        "is_lldc",
        "is_sids",
        "region",
    )
    search_fields = ("iso3", "iso2", "m49", *NAME_FIELDS)
    autocomplete_fields = ("region", "subregion", "intermediate_region")


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "position")
    search_fields = ("slug", "name")
    ordering = ("position", "slug")


class TopicInline(admin.TabularInline):
    model = Topic
    extra = 0
    fields = ("slug", "name", "cmm_dimension", "position")


@admin.register(Theme)
class ThemeAdmin(VocabularyAdmin):
    list_display = ("slug", "name", "gfce_working_group", "position")
    inlines = (TopicInline,)


@admin.register(Topic)
class TopicAdmin(VocabularyAdmin):
    list_display = ("slug", "name", "theme", "cmm_dimension", "position")
    list_filter = ("theme",)


for vocabulary in (
    AssistanceType,
    Audience,
    DeliveryMode,
    StakeholderGroup,
    CostModel,
    Priority,
):
    admin.site.register(vocabulary, VocabularyAdmin)


@admin.register(MemberState)
class MemberStateAdmin(admin.ModelAdmin):
    list_display = ("country", "created_at")
    search_fields = ("country__name_en", "country__iso3")
    autocomplete_fields = ("country",)
    list_filter = ("country__region", "country__is_ldc", "country__is_sids")
    inlines = (MembershipInline,)


@admin.register(Provider)
class ProviderAdmin(SimpleHistoryAdmin):
    list_display = ("name", "ref", "stakeholder_group", "country", "is_verified")
    list_filter = ("is_verified", "stakeholder_group")
    search_fields = ("name", "ref", "description")
    autocomplete_fields = ("country", "verified_by")
    # Verification goes through the actions (services.verify_provider, which
    # asks accounts.policy), never through the form.
    readonly_fields = (
        "is_verified",
        "verified_at",
        "verified_by",
        "created_at",
        "updated_at",
    )
    inlines = (MembershipInline,)
    actions = ("mark_verified",)

    @admin.action(description=_("Verify the selected providers"))
    def mark_verified(self, request, queryset):
        if not policy.may_verify_provider(request.user):
            raise PermissionDenied
        for provider in queryset:
            services.verify_provider(user=request.user, provider=provider)
        count = queryset.count()
        self.message_user(
            request,
            ngettext("%(n)d provider verified.", "%(n)d providers verified.", count)
            % {"n": count},
            messages.SUCCESS,
        )


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "member_state", "provider", "role", "created_at")
    list_filter = ("role",)
    search_fields = (
        "user__username",
        "user__email",
        "member_state__country__name_en",
        "provider__name",
    )
    autocomplete_fields = ("user", "member_state", "provider")


class MatchInline(admin.TabularInline):
    model = Match
    extra = 0
    fields = ("programme", "need", "score", "rank", "status", "origin")
    readonly_fields = ("score", "rank")
    autocomplete_fields = ("programme", "need")
    show_change_link = True


class ProgrammeFundingInline(admin.StackedInline):
    model = ProgrammeFunding
    extra = 0
    readonly_fields = ("total_budget_usd",)


class ParticipatingOrganisationInline(admin.TabularInline):
    model = ParticipatingOrganisation
    extra = 0
    autocomplete_fields = ("provider",)


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    readonly_fields = ("amount_usd",)


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ("title", "ref", "provider", "status", "capacity", "ends_on")
    list_filter = (
        "status",
        "topics__theme",
        "cost_model",
        "ldc_only",
        "sids_only",
        "delivery_modes",
    )
    search_fields = ("title", "ref", "summary", "description", "provider__name")
    autocomplete_fields = (
        "provider",
        "owner",
        "eligible_regions",
        "eligible_countries",
        "languages",
    )
    # Languages (184 of them) use autocomplete instead.
    filter_horizontal = tuple(f for f in TAG_FIELDS if f != "languages")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("provider",)
    inlines = (
        ProgrammeFundingInline,
        ParticipatingOrganisationInline,
        BudgetLineInline,
        MatchInline,
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Amounts typed here get their US-dollar equivalents at once.
        refresh_usd(programme_ids=[form.instance.pk])


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """The dated table US-dollar equivalents come from (no live feed)."""

    list_display = ("currency", "valid_from", "usd_per_unit")
    list_filter = ("currency",)
    search_fields = ("currency",)
    date_hierarchy = "valid_from"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        refresh_usd()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        refresh_usd()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        refresh_usd()


@admin.register(ParticipatingOrganisation)
class ParticipatingOrganisationAdmin(admin.ModelAdmin):
    list_display = ("programme", "role", "provider", "name")
    list_filter = ("role",)
    search_fields = ("programme__title", "provider__name", "name")
    raw_id_fields = ("programme", "provider")


@admin.register(BudgetLine)
class BudgetLineAdmin(admin.ModelAdmin):
    list_display = ("programme", "period_start", "period_end", "amount", "currency")
    list_filter = ("currency",)
    search_fields = ("programme__title",)
    raw_id_fields = ("programme",)
    readonly_fields = ("amount_usd",)


@admin.register(ProgrammeFunding)
class ProgrammeFundingAdmin(admin.ModelAdmin):
    list_display = ("programme", "total_budget", "currency", "total_budget_usd")
    search_fields = ("programme__title",)
    raw_id_fields = ("programme",)
    readonly_fields = ("total_budget_usd",)


class _ReadOnlyAdmin(RecordOnlyAdmin):
    """Figures the platform keeps itself: read, never edited (nor deleted) here."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CoordinationShare)
class CoordinationShareAdmin(_ReadOnlyAdmin):
    list_display = ("programme_id", "funder", "region", "theme", "split", "cents")
    list_filter = ("region",)
    search_fields = ("funder", "=programme_id")


@admin.register(CoordinationCell)
class CoordinationCellAdmin(_ReadOnlyAdmin):
    list_display = ("funder", "region", "theme", "split", "programmes", "cents")
    list_filter = ("region",)
    search_fields = ("funder",)


@admin.register(CoordinationYear)
class CoordinationYearAdmin(_ReadOnlyAdmin):
    list_display = ("programme_id", "year", "lines", "cents")
    search_fields = ("=programme_id",)


@admin.register(CoordinationYearTotal)
class CoordinationYearTotalAdmin(_ReadOnlyAdmin):
    list_display = ("year", "lines", "cents")


@admin.register(ImportedActivity)
class ImportedActivityAdmin(admin.ModelAdmin):
    list_display = ("iati_identifier", "programme", "source_name", "imported_at")
    search_fields = ("iati_identifier", "programme__title", "source_name")
    raw_id_fields = ("programme", "duplicate_of", "imported_by")
    readonly_fields = ("imported_at",)


@admin.register(Need)
class NeedAdmin(SimpleHistoryAdmin):
    list_display = (
        "title",
        "ref",
        "member_state",
        "status",
        "visibility",
        "priority",
        "unmet_reason",
    )
    list_filter = (
        "status",
        "visibility",
        "unmet_reason",
        "priority",
        "topics__theme",
        "member_state__country__region",
    )
    search_fields = ("title", "ref", "summary", "description")
    autocomplete_fields = ("member_state", "owner", "languages", "shared_with")
    # Languages (184 of them) use autocomplete instead.
    filter_horizontal = tuple(f for f in TAG_FIELDS if f != "languages")
    readonly_fields = ("unmet_reason", "matched_at", "created_at", "updated_at")
    list_select_related = ("member_state__country", "priority")
    inlines = (MatchInline,)


class MatchEventInline(admin.TabularInline):
    model = MatchEvent
    extra = 0
    readonly_fields = ("from_status", "to_status", "actor", "note", "at")
    can_delete = False


@admin.register(Match)
class MatchAdmin(SimpleHistoryAdmin):
    list_display = ("need", "programme", "score", "rank", "status", "origin")
    list_filter = ("status", "origin", "need__member_state__country__region")
    search_fields = ("need__title", "need__ref", "programme__title", "programme__ref")
    autocomplete_fields = ("need", "programme", "created_by")
    readonly_fields = ("components", "reasons", "created_at", "updated_at")
    list_select_related = ("need", "programme")
    inlines = (MatchEventInline,)


@admin.register(MatchEvent)
class MatchEventAdmin(admin.ModelAdmin):
    list_display = ("match", "from_status", "to_status", "actor", "at")
    list_filter = ("to_status",)
    search_fields = ("match__need__title", "match__programme__title", "note")
    autocomplete_fields = ("match", "actor")


@admin.register(ApiToken)
class ApiTokenAdmin(RecordOnlyAdmin):
    """Tokens are read and revoked here, never created, edited or reassigned.

    A key is created by its owner and shown once; a token's owner, key and
    scope are fixed and a revocation is final (``accounts.policy``), for
    superusers too.
    """

    list_display = ("name", "prefix", "user", "scope", "expires_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = (
        "name",
        "prefix",
        "user",
        "scope",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "created_at",
    )
    exclude = ("key_hash",)
    actions = ("revoke_tokens",)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("user"):
            if policy.may_revoke_token(actor=request.user, token=token):
                tokens.revoke_token(user=request.user, token=token)
                revoked += 1
        self.message_user(
            request,
            _("Tokens revoked: %(n)d.") % {"n": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "member_state", "provider", "role", "expires_at")
    list_filter = ("role",)
    search_fields = ("email",)
    autocomplete_fields = (
        "member_state",
        "provider",
        "invited_by",
        "accepted_by",
    )
    readonly_fields = ("token_hash", "accepted_at", "accepted_by", "created_at")

    def has_add_permission(self, request):
        # The site's invitation page sends the link; one made here has none.
        return False


@admin.register(JoinRequest)
class JoinRequestAdmin(RecordOnly, SimpleHistoryAdmin):
    """Requests to join: read here, decided on the site (curation, API)."""

    list_display = ("organisation_name", "country", "kind", "status", "created_at")
    list_filter = ("kind", "status")
    search_fields = ("organisation_name", "email", "contact_name")


@admin.register(ContentTranslation)
class ContentTranslationAdmin(admin.ModelAdmin):
    """Owners' translations of titles and summaries (edited on the site)."""

    list_display = ("title", "language", "content_type", "object_id", "updated_at")
    list_filter = ("language", "content_type")
    search_fields = ("title", "summary")
    readonly_fields = ("content_type", "object_id", "created_by", "created_at")


# --- what the platform writes by itself: read in the admin, never edited there ---
# (who among the curators may read which is on the allow-list in accounts/policy.py)


@admin.register(OutboxEvent)
class OutboxEventAdmin(RecordOnlyAdmin):
    list_display = ("kind", "subject_type", "subject_id", "created_at", "delivered_at")
    list_filter = ("kind",)


@admin.register(MailMessage)
class MailMessageAdmin(RecordOnlyAdmin):
    list_display = ("to", "subject", "category", "status", "attempts", "sent_at")
    list_filter = ("status", "category")
    search_fields = ("to", "subject")


@admin.register(Profile)
class ProfileAdmin(RecordOnlyAdmin):
    list_display = ("user", "phone", "time_zone")


@admin.register(Introduction)
class IntroductionAdmin(RecordOnlyAdmin):
    list_display = ("match", "state_contact", "provider_contact")


@admin.register(Message)
class MessageAdmin(RecordOnlyAdmin):
    # Hidden on the match page, with a reason the parties read (audited).
    list_display = ("match", "side", "author", "created_at", "hidden_at")
    list_filter = ("side",)
    search_fields = ("body",)
    raw_id_fields = ("match",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(RecordOnlyAdmin):
    # The signing secret is its owner's, shown once when made: never here.
    exclude = ("secret",)
    list_display = ("url", "user", "is_active", "disabled_at")
    list_filter = ("is_active",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordOnlyAdmin):
    list_display = ("endpoint", "event_type", "state", "attempts", "last_status_code")
    list_filter = ("state",)


@admin.register(TaskWorker)
class TaskWorkerAdmin(RecordOnlyAdmin):
    # Heartbeats: a worker silent for the lease has its running tasks requeued.
    list_display = ("worker_id", "started_at", "beat_at")
