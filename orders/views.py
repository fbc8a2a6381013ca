from contextlib import contextmanager

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from customers.models import Customer
from orderservice.api.conditional import atomic_if_match, etag_of
from orderservice.api.idempotency import idempotent
from orderservice.api.viewsets import FastReadMixin, ResourceViewSet
from orderservice.auth.permissions import (
    CUSTOMERS_READ,
    ORDERS_READ,
    ORDERS_WRITE,
    DeclaredRules,
    note_outside_own_objects,
    refuse,
    token_permissions,
)
from orderservice.domain.limits import as_id

from . import services
from .filters import OrderFilter
from .models import Order, OrderStatus
from .serializers import (
    OrderCreateSerializer,
    OrderSerializer,
    OrderStatusSerializer,
    OrderUpdateSerializer,
    OrderWithCustomerNameSerializer,
)


class OrderListing(DeclaredRules):
    """How orders are listed: newest first, filtered, searched by order number, sorted on request."""

    serializer_class: type[BaseSerializer] | None = OrderSerializer
    # For a caller that may read orders but not customers: the order's customer by name only.
    serializer_class_without_customers_read: type[BaseSerializer] = OrderWithCustomerNameSerializer

    def get_serializer_class(self):
        # An order's customer whole only for those who may read customers, or who are that customer.
        if getattr(self, "swagger_fake_view", False) or self.acting_as_customer:
            return self.serializer_class
        if CUSTOMERS_READ in token_permissions(self.request):
            return self.serializer_class
        return self.serializer_class_without_customers_read

    filterset_class = OrderFilter
    search_fields = ["order_number"]
    search_whole_value_fields = ["order_number"]  # all as long as each other (orders.services.new_order_number)
    ordering_fields = ["order_date", "total_amount", "created_at", "id"]
    ordering = ["-order_date", "-id"]


def check_customer_may_change(request, order: Order, changes: dict) -> None:
    """What a token without orders:write may do to its own order: cancel it while Pending or Processing (the
    lifecycle allows nothing else), and change its notes and shipping address while it is Pending."""
    wanted = changes.get("status", order.status)
    if wanted not in (order.status, OrderStatus.CANCELLED):
        raise refuse(
            request,
            ORDERS_WRITE,
            f"Changing an order's status to {wanted} needs the permission {ORDERS_WRITE}; a customer may only cancel",
        )
    if changes.keys() - {"status"} and order.status != OrderStatus.PENDING:
        raise refuse(
            request,
            ORDERS_WRITE,
            f"Changing a {order.status} order needs the permission {ORDERS_WRITE}; "
            "a customer may change only a Pending one",
        )


class OrderViewSet(OrderListing, ResourceViewSet):
    """Orders, each with its customer and its items; every change goes through `services`. Staff with
    orders:read/orders:write see and change every order; any other token only its own customer's, as
    `check_customer_may_change` allows."""

    queryset = Order.objects.all()  # the read path fetches each order's customer and items itself
    required_permission = {
        "list": ORDERS_READ,
        "retrieve": ORDERS_READ,
        "create": ORDERS_WRITE,
        "update": ORDERS_WRITE,
        "partial_update": ORDERS_WRITE,
        "change_status": ORDERS_WRITE,
        "destroy": ORDERS_WRITE,
    }
    customer_may = frozenset(required_permission)  # each on its own orders only, within the rules above
    single_object_actions = ResourceViewSet.single_object_actions | {"change_status"}

    def get_queryset(self):
        if self.acting_as_customer:
            return Order.objects.filter(customer__user_id=self.request.user.id)
        return Order.objects.all()

    def answer(self, order: Order, status_code=status.HTTP_200_OK, headers=None) -> Response:
        """The order as GET shows it, read back with its customer and items."""
        return Response(self.represent_object(order.pk), status=status_code, headers=headers)

    def current_etag(self, order: Order) -> str:
        # Read like GET reads it: the ETag covers the order's customer and its items' products too.
        return etag_of(self.represent_object(order.pk))

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer},
        examples=[
            OpenApiExample(
                "Two mice, shipped to the office",
                request_only=True,
                value={
                    "customer_id": 1,
                    "order_items": [{"product_id": 2, "quantity": 2}],
                    "notes": "Leave at reception",
                    "shipping_address": "123 Main St, City, State 12345",
                },
            ),
            OpenApiExample(
                "A laptop and a chair",
                request_only=True,
                value={
                    "customer_id": 2,
                    "order_items": [{"product_id": 1, "quantity": 1}, {"product_id": 3, "quantity": 1}],
                },
            ),
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        payload = OrderCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if (
            self.acting_as_customer
            and not Customer.objects.filter(pk=payload.validated_data["customer_id"], user_id=request.user.id).exists()
        ):
            raise refuse(
                request, ORDERS_WRITE, f"Placing an order for another customer needs the permission {ORDERS_WRITE}"
            )
        order = services.order_create(
            customer_id=payload.validated_data["customer_id"],
            lines=[services.OrderLine(**line) for line in payload.validated_data["order_items"]],
            notes=payload.validated_data.get("notes"),
            shipping_address=payload.validated_data.get("shipping_address"),
        )
        return self.answer(order, status.HTTP_201_CREATED, self.get_success_headers({"id": order.pk}))

    @extend_schema(request=OrderUpdateSerializer, responses={200: OrderSerializer})
    @atomic_if_match
    def update(self, request, *args, **kwargs):
        order = self.get_object()
        payload = OrderUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with self.order_gone_is_not_found():
            changed = services.order_update(
                order_id=order.pk, authorize=self.authorize(payload), **payload.validated_data
            )
        return self.answer(changed)

    @extend_schema(request=OrderUpdateSerializer, responses={200: OrderSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(request=OrderStatusSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["put"], url_path="status")
    @atomic_if_match
    def change_status(self, request, pk=None):
        order = self.get_object()
        payload = OrderStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with self.order_gone_is_not_found():
            changed = services.order_change_status(
                order_id=order.pk, status=payload.validated_data["status"], authorize=self.authorize(payload)
            )
        return self.answer(changed)

    def perform_destroy(self, instance):
        services.order_delete(order_id=instance.pk)  # an order deleted meanwhile: a 404 (ResourceViewSet.destroy)

    def authorize(self, payload) -> services.Authorize | None:
        """A customer's rules, applied by the service to the order as read under its lock: a status change that
        commits first is seen."""
        if not self.acting_as_customer:
            return None
        return lambda order: check_customer_may_change(self.request, order, payload.validated_data)

    @contextmanager
    def order_gone_is_not_found(self):
        """An order deleted between this request's read and its write's lock (a racing DELETE) is a 404."""
        try:
            yield
        except Order.DoesNotExist:
            raise self.not_found() from None


class CustomerOrderList(OrderListing, FastReadMixin, generics.ListAPIView):
    """GET /api/customers/{id}/orders: one customer's orders, listed like GET /api/orders; without orders:read,
    only the caller's own customer's."""

    queryset = Order.objects.all()
    action = "list"
    required_permission = {"list": ORDERS_READ}
    customer_may = frozenset({"list"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular describing the view, not a request
            return super().get_queryset()
        customer_id = as_id(self.kwargs["customer_id"])  # None: no row can have it, and SQL never sees it
        customers = Customer.objects.all()
        if self.acting_as_customer:
            customers = customers.filter(user_id=self.request.user.id)
        if customer_id is None or not customers.filter(pk=customer_id).exists():
            if self.acting_as_customer:
                note_outside_own_objects(self.request, self.kwargs["customer_id"])
            raise NotFound("Customer not found")
        return Order.objects.filter(customer_id=customer_id)
