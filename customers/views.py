from orderservice.viewsets import ResourceViewSet

from .models import Customer
from .serializers import CustomerSerializer


class CustomerViewSet(ResourceViewSet):
    """Customers, by last name then first name."""

    queryset = Customer.objects.all()
    serializer_class = CustomerSerializer
    delete_refused_message = "Cannot delete customer with existing orders"
