"""Lists: plain JSON arrays (as the old service's clients read them), pages navigated by an RFC 8288
`Link` header, and cursors rather than offsets, so a page deep in a million orders costs what the first does.
"""

from datetime import UTC

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import DecimalValidator, ProhibitNullCharactersValidator
from django.db import models
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from orderservice.domain.limits import MAX_ID, MAX_INTEGER

MAX_LIMIT = 1000


class LinkHeaderPagination(CursorPagination):
    """DRF's cursor pagination (keyset on the first ordering field; ties broken by id) with the links moved
    from the body into a `Link` header: `<…?cursor=…>; rel="next", <…>; rel="prev"`."""

    page_size = 100
    page_size_query_param = "limit"
    page_size_query_description = f"Rows per page, 1 to {MAX_LIMIT} (default 100)."
    max_page_size = MAX_LIMIT
    cursor_query_description = "Opaque position from a `Link` header; do not build it yourself."
    model: type[models.Model] | None = None  # of the rows being paged, set by paginate_queryset

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view))
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")  # one stable order, even among ties
        return tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_LIMIT):
            raise ValidationError({self.page_size_query_param: [f"Must be a whole number from 1 to {MAX_LIMIT}."]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.model = getattr(queryset, "model", None)  # whose ordering column a cursor's position is checked for
        try:
            return super().paginate_queryset(queryset, request, view)
        except (NotFound, DjangoValidationError, ValueError, TypeError, OverflowError):
            # A cursor that was not made here (or a position the column cannot hold): the client's mistake.
            raise ValidationError({self.cursor_query_param: ["Invalid cursor: follow the Link header."]}) from None

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            if self.model is None:
                raise ValueError("a cursor over rows that are not a queryset")
            name = self.ordering[0].lstrip("-")
            field = self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)
            if not isinstance(field, models.Field):  # a relation's other side: no column to page by
                raise ValueError(f"no cursor over {name}")
            check_position(field, str(cursor.position))  # the decoded text (DRF's stubs say int)
        return cursor

    def get_paginated_response(self, data):
        links = [
            f'<{url}>; rel="{rel}"'
            for rel, url in (("next", self.get_next_link()), ("prev", self.get_previous_link()))
            if url
        ]
        return Response(data, headers={"Link": ", ".join(links)} if links else None)

    def get_paginated_response_schema(self, schema):
        return schema  # the body is the plain array; the Link header is documented in orderservice.api.schema


def check_position(field: models.Field, position: str) -> None:
    """A cursor's position must be a value the ordering column can hold: a forged one (a number beyond the column,
    a decimal with more digits, NUL in text, a date-time before year 1 in UTC) is refused with a ValueError or a
    ValidationError before it reaches the database. Only the column's bounds are checked, not the rules for new
    values (a name stored before a rule existed still pages)."""
    value = field.to_python(position)
    if isinstance(field, models.BigIntegerField):  # ids (BigAutoField) too
        bound = MAX_ID
    elif isinstance(field, models.IntegerField):
        bound = MAX_INTEGER
    else:
        bound = None
    if bound is not None and not -bound - 1 <= value <= bound:
        raise ValueError(f"{field.name} cannot hold {value}")
    if isinstance(field, models.DecimalField):
        DecimalValidator(field.max_digits, field.decimal_places)(value)
    elif isinstance(field, models.DateTimeField):
        if value.tzinfo is None:  # every cursor made here carries its offset
            raise ValueError(f"{field.name}: a date-time without an offset")
        value.astimezone(UTC)  # OverflowError near year 1 or 9999
    elif isinstance(field, models.CharField):
        ProhibitNullCharactersValidator()(value)
        if field.max_length is not None and len(value) > field.max_length:
            raise ValueError(f"{field.name} holds at most {field.max_length} characters")
    elif bound is None:
        raise ValueError(f"no cursor over {type(field).__name__} ({field.name})")  # fail closed for a new ordering


class FetchedFirstPage(list):
    """A list's first page, already fetched in the pagination's ordering (orderservice.api.viewsets fetches the
    plain first page with SQL compiled once). Without a cursor, all CursorPagination does with its queryset is
    `order_by(<its ordering>)` and one slice, and this answers both, so the Link header comes out as before."""

    def __init__(self, rows, ordering):
        super().__init__(rows)
        self.ordering = tuple(ordering)

    def order_by(self, *ordering):
        if tuple(ordering) != self.ordering:
            raise ValueError(f"the page was fetched in the order {self.ordering}, not {ordering}")
        return self
