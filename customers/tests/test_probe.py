import pytest
from customers.tests.factories import CustomerFactory
from products.tests.factories import ProductFactory
pytestmark = pytest.mark.django_db

def show(r):
    print(r.status_code, r.headers.get("Content-Type"), r.headers.get("Allow"), r.content.decode()[:600])

def test_probe(api_client, django_assert_num_queries, django_assert_max_num_queries):
    c = CustomerFactory()
    for url in ["/api/customers", f"/api/customers/{c.pk}/", "/api/products"]:
        with django_assert_max_num_queries(0):
            api_client.get(url)
    show(api_client.post("/api/customers", "{bad", content_type="application/json"))
    show(api_client.post("/api/customers", [], format="json"))
    show(api_client.post("/api/customers", "a=b", content_type="application/x-www-form-urlencoded"))
    show(api_client.delete("/api/customers"))
    show(api_client.post("/api/customers", {"first_name": None, "last_name": "x", "email": None}, format="json"))
    show(api_client.post("/api/customers", {"firstName": "A", "first_name": "Real", "lastName": "B", "email": "q@example.com"}, format="json"))
    show(api_client.patch(f"/api/customers/{c.pk}", {"email": c.email.upper()}, format="json"))
