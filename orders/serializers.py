from rest_framework import serializers

from customers.models import Customer
from customers.serializers import CustomerSerializer
from orderservice.api.serializers import InputSerializer
from orderservice.domain.limits import MAX_ID, MAX_INTEGER
from orderservice.domain.text import multi_line_text
from products.serializers import ProductSerializer

from .models import Order, OrderItem, OrderStatus
from .services import check_line_count, invalid_status_message

# --- Output ------------------------------------------------------------------------------------


class OrderItemSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField(read_only=True)
    product_id = serializers.IntegerField(read_only=True)
    product = ProductSerializer(read_only=True)

    class Meta:
        model = OrderItem
        fields = [
            "id",
            "order_id",
            "product_id",
            "quantity",
            "unit_price",
            "total_price",
            "created_at",
            "updated_at",
            "product",
        ]


# Who may see what of an order's customer: its contact details only with customers:read (or the customer itself).
CUSTOMER_NAME_FIELDS = ["id", "first_name", "last_name"]
EMBEDDED_CUSTOMER_HELP = (
    "The order's customer. Whole for a token with customers:read and for the customer's own token; for any other, "
    f"only {', '.join(CUSTOMER_NAME_FIELDS)} (no contact details)."
)


class OrderCustomerSerializer(CustomerSerializer):
    """An order's customer: `id`, `first_name` and `last_name` always; its contact details and the rest only for a
    token with customers:read or the customer's own token."""

    # (The schema marks only the name's fields required: orderservice/api/schema.py.)


class CustomerNameSerializer(serializers.ModelSerializer):
    """An order's customer for a caller without customers:read: who placed it, not how to reach them."""

    class Meta:
        model = Customer
        fields = CUSTOMER_NAME_FIELDS
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer_id = serializers.IntegerField(read_only=True)
    customer: serializers.ModelSerializer = OrderCustomerSerializer(read_only=True, help_text=EMBEDDED_CUSTOMER_HELP)
    order_items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "customer_id",
            "order_number",
            "order_date",
            "status",
            "sub_total",
            "tax_amount",
            "shipping_amount",
            "total_amount",
            "notes",
            "shipping_address",
            "created_at",
            "updated_at",
            "customer",
            "order_items",
        ]
        read_only_fields = fields


class OrderWithCustomerNameSerializer(OrderSerializer):
    """An order for a caller that may read orders but not customers: its customer by name only."""

    customer = CustomerNameSerializer(read_only=True, help_text=EMBEDDED_CUSTOMER_HELP)


# --- Input -------------------------------------------------------------------------------------


class OrderLinesSerializer(serializers.ListSerializer):
    """An order's lines, counted against ORDER_MAX_LINES before any line is validated."""

    def to_internal_value(self, data):
        if isinstance(data, list):
            check_line_count(len(data))
        return super().to_internal_value(data)


class OrderLineInputSerializer(InputSerializer):
    product_id = serializers.IntegerField(max_value=MAX_ID)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_INTEGER)

    class Meta:
        list_serializer_class = OrderLinesSerializer


class OrderCreateSerializer(InputSerializer):
    customer_id = serializers.IntegerField(max_value=MAX_ID)
    order_items = OrderLineInputSerializer(many=True, allow_empty=False)
    notes = serializers.CharField(
        max_length=500, required=False, allow_null=True, allow_blank=True, validators=[multi_line_text]
    )
    shipping_address = serializers.CharField(
        max_length=200, required=False, allow_null=True, allow_blank=True, validators=[multi_line_text]
    )


class OrderStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=OrderStatus.choices, **kwargs)

    def fail(self, key, **kwargs):
        if key == "invalid_choice":
            raise serializers.ValidationError(invalid_status_message(kwargs.get("input")), code="rule")
        super().fail(key, **kwargs)


class OrderUpdateSerializer(InputSerializer):
    """PUT /api/orders/{id}: only the fields sent change."""

    status = OrderStatusField(required=False)
    notes = serializers.CharField(
        max_length=500, required=False, allow_null=True, allow_blank=True, validators=[multi_line_text]
    )
    shipping_address = serializers.CharField(
        max_length=200, required=False, allow_null=True, allow_blank=True, validators=[multi_line_text]
    )


class OrderStatusSerializer(InputSerializer):
    status = OrderStatusField()
