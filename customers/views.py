from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from orderservice.api import read_path
from orderservice.api.viewsets import ResourceViewSet
from orderservice.auth.permissions import CUSTOMERS_READ, CUSTOMERS_WRITE
from orderservice.domain.unique import ValueTaken

from . import services
from .filters import CustomerFilter
from .models import Customer
from .serializers import CustomerSerializer, OwnCustomerSerializer


class AlreadyACustomer(APIException):
    status_code = 409
    default_detail = "A customer is already linked to this user"
    default_code = "conflict"


class CustomerViewSet(ResourceViewSet):
    """Customers, by last name then first name. Staff with customers:read/customers:write see and change every
    customer; any other token is the customer linked to its subject: it sees, creates and changes only that one.
    Every change goes through `services`."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "email", "created_at", "id"]
    ordering = ["last_name", "first_name", "id"]

    required_permission = {
        "list": CUSTOMERS_READ,
        "retrieve": CUSTOMERS_READ,
        "me": None,
        "create": CUSTOMERS_WRITE,
        "update": CUSTOMERS_WRITE,
        "partial_update": CUSTOMERS_WRITE,
        "destroy": CUSTOMERS_WRITE,
    }
    customer_may = frozenset({"list", "retrieve", "create", "update", "partial_update"})
    single_object_actions = ResourceViewSet.single_object_actions | {"me"}

    def get_serializer_class(self):
        return OwnCustomerSerializer if self.acting_as_customer else CustomerSerializer

    def get_queryset(self):
        if self.acting_as_customer:
            return Customer.objects.filter(user_id=self.request.user.id)
        return Customer.objects.all()

    @extend_schema(responses={200: CustomerSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        """The customer linked to the caller's token (its subject); 404 when there is none."""
        found = read_path.represent(
            CustomerSerializer, read_path.rows(CustomerSerializer, Customer.objects.filter(user_id=request.user.id))
        )
        if not found:
            raise NotFound("No customer is linked to this user")
        return Response(found[0])

    def perform_create(self, serializer):
        if not self.acting_as_customer:
            return services.customer_create(**serializer.validated_data)
        # A customer's own token creates the customer linked to it, once.
        if Customer.objects.filter(user_id=self.request.user.id).exists():
            raise AlreadyACustomer()
        try:
            return services.customer_create(**serializer.validated_data, user_id=str(self.request.user.id))
        except ValueTaken as refusal:
            if "user_id" in refusal.taken:  # a twin request linked it first
                raise AlreadyACustomer() from None
            raise

    def perform_update(self, serializer):
        return services.customer_update(customer=serializer.instance, changes=serializer.validated_data)

    def perform_destroy(self, customer):
        services.customer_delete(customer=customer)
