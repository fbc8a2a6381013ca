"""Business events (customer/product/order created, updated, deleted, status changed, stock changed): one
log line each, from the API and the admin alike. Never pass tokens, passwords or email addresses."""
import logging

logger = logging.getLogger("orderservice.events")


def business_event(event: str, **fields) -> None:
    """Log one business event, e.g. business_event("order.created", order_id=7, total_amount="42.39")."""
    logger.info(event, extra={"event": event, **fields})
