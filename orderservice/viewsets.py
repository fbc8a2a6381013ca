"""The one base viewset the three resources share."""
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import NotFound

from orderservice.errors import RuleViolation
from orderservice.idempotency import idempotent


class ResourceViewSet(viewsets.ModelViewSet):
    """A ModelViewSet that answers 201 with `Location`, honours Idempotency-Key on POST, and refuses deletes
    that would orphan other rows."""

    delete_refused_message = "Cannot delete this resource while other records refer to it"

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def get_object(self):
        try:
            return super().get_object()
        except Http404:  # "Customer not found", as the old service said, for any id that matches nothing
            raise NotFound(f"{self.queryset.model._meta.verbose_name.capitalize()} not found") from None

    def get_success_headers(self, data):
        path = self.request.path.rstrip("/")
        return {"Location": self.request.build_absolute_uri(f"{path}/{data['id']}")}

    def perform_destroy(self, instance):
        try:
            instance.delete()
        except ProtectedError:  # on_delete=PROTECT: the database keeps the rows it refers to
            raise RuleViolation(self.delete_refused_message) from None
