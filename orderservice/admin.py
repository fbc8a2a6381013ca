"""What every admin page shares: staff work under the same rules as API clients, and their changes are
business events; and the Events page, the audit trail of those events."""

import json
from urllib.parse import quote

from django import forms
from django.contrib import admin, messages
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from orderservice.domain.actors import acting_in_admin
from orderservice.domain.rules import RuleViolation
from orderservice.models import OutboxEvent


def copy_saved(saved, *, into) -> None:
    """Make `into`, the object the admin's form built and goes on with (the history entry, the message, the
    redirect), the row a service wrote, without reading it again."""
    for field in into._meta.concrete_fields:
        setattr(into, field.attname, getattr(saved, field.attname))
    into._state.adding, into._state.db = False, saved._state.db


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
    """A ModelAdmin whose saves and deletes go through the model's service, the one the API calls (each admin
    names its functions: `create_through_service`, `update_through_service`, `delete_through_service`, or
    overrides `save_model`/`delete_model` as orders do); a broken business rule (a RuleViolation) becomes an error
    message and the request changes nothing. Saves write only the fields staff edited."""

    form = EditedFieldsForm
    delete_refused_message = "Cannot delete this record while other records refer to it"

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
        except self.model.DoesNotExist:  # deleted by someone else while the page was open: nothing was saved
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return self.refuse(request, f"This {self.opts.verbose_name} no longer exists", changelist)

    def changelist_view(self, request, extra_context=None):
        with acting_in_admin(request):  # the actions
            return super().changelist_view(request, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            with acting_in_admin(request):
                return super().delete_view(request, object_id, extra_context)
        except RuleViolation as refusal:  # e.g. a row referring to it appeared after the confirmation page
            return self.refuse(request, refusal.message, self.change_url(object_id))

    def response_action(self, request, queryset):  # type: ignore[override]  # django-stubs has Django 6's signature
        # One transaction per action, so a bulk delete refused half-way deletes nothing and leaves no history.
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().response_action(request, queryset)
        except RuleViolation as refusal:
            return self.refuse(request, refusal.message, request.get_full_path())

    def get_deleted_objects(self, objs, request):
        deleted, counts, permissions_needed, protected = super().get_deleted_objects(objs, request)
        if protected:  # Django lists what refers to them and offers no "Yes"; give the API's reason too
            self.message_user(request, self.delete_refused_message, messages.ERROR)
        return deleted, counts, permissions_needed, protected

    # --- Saves and deletes, through the service ---------------------------------------------------

    def create_through_service(self, values: dict):
        raise NotImplementedError(f"{type(self).__name__} must create through its service and return the object")

    def update_through_service(self, obj, changes: dict):
        raise NotImplementedError(f"{type(self).__name__} must update through its service and return the object")

    def delete_through_service(self, obj) -> None:
        raise NotImplementedError(f"{type(self).__name__} must delete through its service")

    def save_model(self, request, obj, form, change):
        model_fields = {field.name for field in obj._meta.concrete_fields}
        if not change:
            values = {name: value for name, value in form.cleaned_data.items() if name in model_fields}
            copy_saved(self.create_through_service(values), into=obj)
            return
        edited = {name: form.cleaned_data[name] for name in form.changed_data if name in model_fields}
        if edited:
            copy_saved(self.update_through_service(obj, edited), into=obj)

    def delete_model(self, request, obj):
        try:
            self.delete_through_service(obj)
        except self.model.DoesNotExist:
            pass  # someone else deleted it meanwhile: as staff asked

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(OutboxEvent)
class EventAdmin(admin.ModelAdmin):
    """The audit trail: every business event, who caused it, from which request, and whether the relay has
    published it. Read-only: the rows are written only with the changes they report. A subject or an actor in
    the list filters by it; the search box finds a request id, exactly (on its index)."""

    list_display = ["occurred_at", "type", "subject_link", "actor_link", "request_id", "published_at"]
    list_filter = ["type", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["request_id"]  # see get_search_results
    fields = (
        "event_id",
        "type",
        "subject",
        "actor",
        "request_id",
        "occurred_at",
        "published_at",
        "data_shown",
    )
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
