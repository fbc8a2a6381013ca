"""Orders for tests are placed through the real service, so stock and totals are always consistent."""
from customers.tests.factories import CustomerFactory
from orders import services
from orders.models import Order
from products.tests.factories import ProductFactory


def place_order(customer=None, items=None, **fields) -> Order:
    """Place an order; `items` is [(product, quantity), …] (default: one new product, quantity 1)."""
    customer = customer or CustomerFactory()
    items = items or [(ProductFactory(), 1)]
    return services.order_create(
        customer_id=customer.pk,
        lines=[services.OrderLine(product_id=product.pk, quantity=quantity) for product, quantity in items],
        **fields,
    )
