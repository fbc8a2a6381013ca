"""The base views the resources share: reads through the fast read path, and the one base viewset."""

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from orderservice.api import conditional, read_path
from orderservice.api.idempotency import idempotent
from orderservice.api.pagination import FetchedFirstPage, LinkHeaderPagination
from orderservice.auth.permissions import DeclaredRules, missing, note_outside_own_objects, token_permissions
from orderservice.domain.limits import as_id

if TYPE_CHECKING:  # what the mixin uses of the view it is mixed into
    from rest_framework.generics import GenericAPIView as _GenericView
else:
    _GenericView = object


class FastReadMixin(DeclaredRules, _GenericView):
    """GETs answered through the fast read path (orderservice.api.read_path): the same JSON as the
    serializer's, from plain rows. Filters, search, ordering and pagination work on those rows unchanged.
    One object's 200 or 201 carries its ETag, and a GET whose If-None-Match matches it is a 304
    (orderservice.api.conditional)."""

    # The actions that answer one object as GET shows it.
    single_object_actions = frozenset({"retrieve", "create", "update", "partial_update"})

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticated and allowed first: a 401/403 comes before a 404
        lookup = self.lookup_url_kwarg or self.lookup_field
        if lookup in self.kwargs and as_id(self.kwargs[lookup]) is None:
            raise self.not_found()  # an id no row can have (beyond 64 bits, -1, Arabic-Indic digits) never reaches SQL

    def list(self, request, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        queryset = self.get_queryset()
        if request.query_params:
            page = self.paginate_queryset(read_path.rows(serializer_class, self.filter_queryset(queryset)))
        elif queryset.query.has_filters():  # e.g. one customer's orders
            page = self.paginate_queryset(read_path.rows(serializer_class, queryset))
        else:  # the plain first page, the most asked for: filters, search and ordering would change nothing
            paginator = self.paginator
            assert isinstance(paginator, LinkHeaderPagination)  # every list pages by keyset (settings.REST_FRAMEWORK)
            ordering = paginator.get_ordering(request, queryset, self)
            limit = paginator.get_page_size(request) + 1  # one more tells whether a next page exists
            rows = read_path.first_page(serializer_class, queryset, ordering, limit, shape=type(self))
            page = self.paginate_queryset(FetchedFirstPage(rows, ordering))
        return self.get_paginated_response(read_path.represent(serializer_class, page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.represent_object(self.kwargs[self.lookup_url_kwarg or self.lookup_field]))

    def represent_object(self, pk):
        found = read_path.represent_one(self.get_serializer_class(), self.get_queryset(), pk)
        if found is None:
            raise self.not_found()
        return found

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code in (200, 201) and getattr(self, "action", None) in self.single_object_actions:
            etag = conditional.etag_of(response.data)
            if conditional.not_modified(request, etag):
                response = Response(status=status.HTTP_304_NOT_MODIFIED)
            response["ETag"] = etag
        return super().finalize_response(request, response, *args, **kwargs)

    def not_found(self) -> APIException:
        # "Customer not found", as the old service said, for any id that matches nothing, and for another
        # customer's object, whose existence a customer must not learn.
        if self.acting_as_customer:
            object_id = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            pk = as_id(object_id)
            permission = self.required_permission.get(self.action)
            model = self.get_queryset().model
            if (
                pk is not None
                and permission
                and self.may_see_every_object()
                and model._default_manager.filter(pk=pk).exists()
            ):
                # A token that may read every object (orders:read) but not change it: the object is not hidden
                # from it, so the answer names the permission the write needs rather than pretending it is gone.
                return missing(self.request, permission)
            note_outside_own_objects(self.request, object_id)
        return NotFound(f"{str(self.get_queryset().model._meta.verbose_name).capitalize()} not found")

    def may_see_every_object(self) -> bool:
        """The caller holds the permission to read any of this resource's objects (its `retrieve` permission)."""
        permission = self.required_permission.get("retrieve")
        return permission is not None and permission in token_permissions(self.request)


class ResourceViewSet(FastReadMixin, viewsets.ModelViewSet):
    """A ModelViewSet whose writes go through the resource's service: the serializer validates the body, the view's
    `perform_create`/`perform_update`/`perform_destroy` call the service (each returns what it wrote), and the view
    answers as GET shows the result. It answers 201 with `Location`, honours Idempotency-Key on POST, checks an
    optional If-Match on PUT/PATCH/DELETE (a 412 when it is stale), and answers 404 for an object deleted between
    its read and the service's locked read."""

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shown = self.get_serializer(self.perform_create(serializer)).data
        return Response(shown, status=status.HTTP_201_CREATED, headers=self.get_success_headers(shown))

    @conditional.atomic_if_match
    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.pop("partial", False))
        serializer.is_valid(raise_exception=True)
        try:
            written = self.perform_update(serializer)
        except ObjectDoesNotExist:  # gone by the time the service locked it
            raise self.not_found() from None
        return Response(self.get_serializer(written).data)

    @conditional.atomic_if_match
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        try:
            self.perform_destroy(instance)
        except ObjectDoesNotExist:  # gone by the time the service locked it
            raise self.not_found() from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    # Each resource calls its service here (a serializer's own save() would write without the service's events).

    def perform_create(self, serializer):
        raise NotImplementedError(f"{type(self).__name__}.perform_create must call its service and return the object")

    def perform_update(self, serializer):
        raise NotImplementedError(f"{type(self).__name__}.perform_update must call its service and return the object")

    def perform_destroy(self, instance):
        raise NotImplementedError(f"{type(self).__name__}.perform_destroy must call its service")

    def filter_queryset(self, queryset):
        # Filters, search and ordering shape lists; one object is found by its id alone (and DRF would
        # otherwise run every list filter on each detail request).
        if self.action == "list":
            return super().filter_queryset(queryset)
        if conditional.checks_if_match(self):  # locked until the write's transaction ends
            return queryset.select_for_update(of=("self",))
        return queryset

    def get_object(self):
        try:
            instance = super().get_object()
        except Http404:
            raise self.not_found() from None
        if conditional.checks_if_match(self):  # checked before the body is validated (RFC 9110 §13.2.1)
            conditional.check_if_match(self.request, self.current_etag(instance))
        return instance

    def current_etag(self, instance) -> str:
        """The ETag a GET would show for `instance` now, from the row already read."""
        return conditional.etag_of(self.get_serializer(instance).data)

    def get_success_headers(self, data):
        path = self.request.path.rstrip("/")
        return {"Location": self.request.build_absolute_uri(f"{path}/{data['id']}")}
