"""What every admin page shares: staff work under the same rules as API clients, and their changes are
business events; and the Events page, the audit trail of those events."""

import json
from urllib.parse import quote

from django import forms
from django.contrib import admin, messages
from django.db import router, transaction
from django.db.models import ProtectedError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from orderservice.domain.actors import acting_in_admin
from orderservice.domain.rules import RuleViolation
from orderservice.events.outbox import business_event, changed_values
from orderservice.models import OutboxEvent


def admin_event(request, event: str, *, details: dict | None = None, **fields) -> None:
    """A business event a staff member caused; its log line names them by user id (a username may be an email
    address), its outbox row by `admin:<username>` as its actor."""
    business_event(event, details=details, log_only={"via": "admin", "staff_user_id": request.user.pk}, **fields)


class EditedFieldsForm(forms.ModelForm):
    """On an existing record, the page remembers what each field showed when it was opened, so `changed_data`
    holds what staff edited, not every field an API client has changed since; only those are written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for field in self.fields.values():
                field.show_hidden_initial = True


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on another object's page and never changed from there: no adding, editing or deleting."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RulesAdmin(admin.ModelAdmin):
    """A ModelAdmin where a broken business rule (a RuleViolation, or a delete that other rows forbid) becomes
    an error message and the request changes nothing; saves write only the fields staff edited, and are
    logged as `<event_prefix>.created|updated|deleted` (models whose service logs its own set none)."""

    form = EditedFieldsForm
    delete_refused_message = "Cannot delete this record while other records refer to it"
    event_prefix: str | None = None
    representation = None  # the API's serializer: what a `created` event's data holds, as the API shows it

    # --- Rules become messages ------------------------------------------------------------------

    def refuse(self, request, message: str, redirect_to: str) -> HttpResponseRedirect:
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(redirect_to)

    def change_url(self, object_id) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[object_id])

    # Each page that changes something acts as "admin:<username>" (what the stock ledger records as its actor).

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with acting_in_admin(request):
                return super().changeform_view(request, object_id, form_url, extra_context)
        except RuleViolation as refusal:  # raised inside the view's transaction: nothing was saved
            return self.refuse(request, refusal.message, request.get_full_path())

    def changelist_view(self, request, extra_context=None):
        with acting_in_admin(request):  # the actions
            return super().changelist_view(request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with acting_in_admin(request):
                return super().delete_view(request, object_id, extra_context)
        except RuleViolation as refusal:
            return self.refuse(request, refusal.message, self.change_url(object_id))
        except ProtectedError:  # a row referring to it appeared after the confirmation page
            return self.refuse(request, self.delete_refused_message, self.change_url(object_id))

    def response_action(self, request, queryset):
        # One transaction per action, so a bulk delete refused half-way leaves no "deleted" history behind.
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except ProtectedError:
            return self.refuse(request, self.delete_refused_message, request.get_full_path())

    def get_deleted_objects(self, objs, request):
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        if protected:  # Django lists what refers to them and offers no "Yes"; give the API's reason too
            self.message_user(request, self.delete_refused_message, messages.ERROR)
        return deleted, counts, permissions_needed, protected

    # --- Saves and deletes, logged --------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            admin_event(
                request,
                f"{self.event_prefix}.created",
                **{f"{self.event_prefix}_id": obj.pk},
                details={self.event_prefix: self.representation(obj).data},
            )
            return
        model_fields = {field.name for field in obj._meta.concrete_fields}
        edited = [name for name in form.changed_data if name in model_fields]
        if edited:
            obj.save(update_fields=[*edited, "updated_at"])
            admin_event(
                request,
                f"{self.event_prefix}.updated",
                **{f"{self.event_prefix}_id": obj.pk},
                fields=sorted(edited),
                details={"changed": changed_values(self.representation(obj).data, edited)},
            )

    def delete_model(self, request, obj):
        object_id = obj.pk
        super().delete_model(request, obj)
        admin_event(request, f"{self.event_prefix}.deleted", **{f"{self.event_prefix}_id": object_id})

    def delete_queryset(self, request, queryset):
        object_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        for object_id in object_ids:
            admin_event(request, f"{self.event_prefix}.deleted", **{f"{self.event_prefix}_id": object_id})


@admin.register(OutboxEvent)
class EventAdmin(admin.ModelAdmin):
    """The audit trail: every business event, who caused it, from which request, and whether the relay has
    published it. Read-only: the rows are written only with the changes they report. A subject or an actor in
    the list filters by it; the search box finds a request id, exactly (on its index)."""

    list_display = ["occurred_at", "type", "subject_link", "actor_link", "request_id", "published_at"]
    list_filter = ["type", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["request_id"]  # see get_search_results
    fields = ["event_id", "type", "subject", "actor", "request_id", "occurred_at", "published_at", "data_shown"]
    readonly_fields = fields
    show_full_result_count = False  # one COUNT of the filtered rows per page, not a second of the whole table
    list_per_page = 50

    @admin.display(description="subject", ordering="subject")
    def subject_link(self, event: OutboxEvent):
        return format_html('<a href="?subject={}">{}</a>', quote(event.subject, safe=""), event.subject)

    @admin.display(description="actor", ordering="actor")
    def actor_link(self, event: OutboxEvent):
        return format_html('<a href="?actor={}">{}</a>', quote(event.actor, safe=""), event.actor)

    @admin.display(description="data")
    def data_shown(self, event: OutboxEvent):
        return format_html("<pre>{}</pre>", json.dumps(event.data, indent=2, ensure_ascii=False))

    def get_search_results(self, request, queryset, search_term):
        # Equality, which the request_id index serves (the admin's "=" search compares case-insensitively).
        search_term = search_term.strip()
        return (queryset.filter(request_id=search_term) if search_term else queryset), False

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in {"subject", "actor", "request_id"} or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
