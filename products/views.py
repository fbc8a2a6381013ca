from orderservice.viewsets import ResourceViewSet

from .models import Product
from .serializers import ProductSerializer


class ProductViewSet(ResourceViewSet):
    """Products with their stock, by name."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    delete_refused_message = "Cannot delete product with existing order items"
