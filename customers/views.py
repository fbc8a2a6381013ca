from orderservice.api.viewsets import ResourceViewSet

from .filters import CustomerFilter
from .models import DELETE_REFUSED_MESSAGE, Customer
from .serializers import CustomerSerializer


class CustomerViewSet(ResourceViewSet):
    """Customers, by last name then first name."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "email", "created_at", "id"]
    ordering = ["last_name", "first_name", "id"]
    delete_refused_message = DELETE_REFUSED_MESSAGE
