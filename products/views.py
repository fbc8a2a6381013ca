from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from orderservice.api.idempotency import idempotent
from orderservice.api.pagination import LinkHeaderPagination
from orderservice.api.viewsets import ResourceViewSet
from orderservice.auth.permissions import CATALOG_WRITE

from . import services, stock
from .filters import ProductFilter
from .models import Product, StockMovement
from .serializers import ProductReplaceSerializer, ProductSerializer, StockAdjustmentSerializer, StockMovementSerializer


class NewestMovementsFirst(LinkHeaderPagination):
    """A product's movements in keyset pages by id, newest first; `?ordering=` does not apply."""

    def get_ordering(self, request, queryset, view):
        return ("-id",)


class ProductViewSet(ResourceViewSet):
    """Products with their stock, by name: read by every token, changed with catalog:write; every change goes
    through `services` (the stock ledger's through `stock`)."""

    queryset = Product.objects.all()
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["name", "price", "stock_quantity", "created_at", "id"]
    ordering = ["name", "id"]

    # Any valid token reads the catalogue; changing it, and its stock ledger, is catalog:write.
    required_permission = {
        "list": None,
        "retrieve": None,
        "create": CATALOG_WRITE,
        "update": CATALOG_WRITE,
        "partial_update": CATALOG_WRITE,
        "destroy": CATALOG_WRITE,
        "stock_adjustments": CATALOG_WRITE,
        "stock_movements": CATALOG_WRITE,
    }

    def get_serializer_class(self):
        return ProductReplaceSerializer if self.action == "update" else ProductSerializer

    def perform_create(self, serializer):
        return services.product_create(**serializer.validated_data)

    def perform_update(self, serializer):
        return services.product_update(product=serializer.instance, changes=serializer.validated_data)

    def perform_destroy(self, product):
        services.product_delete(product=product)

    @extend_schema(
        request=StockAdjustmentSerializer,
        responses={201: StockMovementSerializer},
        summary="Adjust a product's stock by a number of units",
        description="Adds `change` (negative: removes) to the stock as it is now, so orders placed meanwhile are "
        "kept; never below 0 nor above the largest stock (a 400 that changes nothing). Answers the "
        "movement written to the product's stock ledger.",
        examples=[
            OpenApiExample("Two units broke", request_only=True, value={"change": -2, "note": "breakage"}),
            OpenApiExample("A delivery", request_only=True, value={"change": 20, "note": "delivery 4711"}),
        ],
    )
    @idempotent
    @action(detail=True, methods=["post"], url_path="stock-adjustments")
    def stock_adjustments(self, request, pk=None):
        payload = StockAdjustmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            movement = stock.product_adjust_stock(product_id=int(pk), **payload.validated_data)
        except Product.DoesNotExist:
            raise self.not_found() from None
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: StockMovementSerializer(many=True)},
        filters=False,
        summary="A product's stock ledger, newest first",
        description="Every change of the product's stock, newest first, in pages (`Link` header); the changes add "
        "up to its `stock_quantity`.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="stock-movements",
        pagination_class=NewestMovementsFirst,
        filter_backends=[],
    )
    def stock_movements(self, request, pk=None):
        if not Product.objects.filter(pk=pk).exists():
            raise self.not_found()
        page = self.paginate_queryset(StockMovement.objects.filter(product_id=pk))
        return self.get_paginated_response(StockMovementSerializer(page, many=True).data)
