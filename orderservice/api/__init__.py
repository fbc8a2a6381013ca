"""What every resource's API shares: problem details, pagination, filters, rendering, the fast read path,
the base viewset, the OpenAPI schema, idempotency keys and throttling."""
