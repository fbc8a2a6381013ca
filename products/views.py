from orderservice.api.viewsets import ResourceViewSet
from orderservice.auth.permissions import CATALOG_WRITE

from .filters import ProductFilter
from .models import DELETE_REFUSED_MESSAGE, Product
from .serializers import ProductReplaceSerializer, ProductSerializer


class ProductViewSet(ResourceViewSet):
    """Products with their stock, by name: read by every token, changed with catalog:write."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["name", "price", "stock_quantity", "created_at", "id"]
    ordering = ["name", "id"]
    delete_refused_message = DELETE_REFUSED_MESSAGE

    # Any valid token reads the catalogue; changing it is catalog:write.
    required_permission = {"list": None, "retrieve": None, "create": CATALOG_WRITE, "update": CATALOG_WRITE,
                           "partial_update": CATALOG_WRITE, "destroy": CATALOG_WRITE}

    def get_serializer_class(self):
        return ProductReplaceSerializer if self.action == "update" else ProductSerializer
