"""Assertions the API tests share: exact problem documents, bodies without their timestamps, and the rows a
refused request must leave as they were."""
from datetime import datetime, timedelta, timezone

TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}


def without_timestamps(body: dict) -> dict:
    """`body` minus created_at/updated_at, once both are checked to be ISO 8601 UTC strings ending in Z."""
    for field in ("created_at", "updated_at"):
        assert body[field].endswith("Z"), body[field]
        assert datetime.fromisoformat(body[field]).utcoffset() == timedelta(0)
    return {name: value for name, value in body.items() if name not in ("created_at", "updated_at")}


def assert_problem(response, status: int, detail: str, errors: dict | None = None) -> None:
    """The response is exactly this application/problem+json body."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    expected = {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail,
                "instance": response.wsgi_request.path}
    if errors is not None:
        expected["errors"] = errors
    assert response.json() == expected


def assert_invalid(response, field: str, message: str) -> None:
    """A 400 for one invalid field."""
    assert_problem(response, 400, f"{field}: {message}", {field: [message]})


def all_rows(model) -> list[dict]:
    """Every row with every column: equal before and after a refused request means nothing changed."""
    return list(model.objects.order_by("pk").values())


def absent_id(model) -> int:
    """An id no row has."""
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def make_stale(instance) -> datetime:
    """Move the row's updated_at an hour back, so that a write that touches it shows."""
    stale = datetime.now(timezone.utc) - timedelta(hours=1)
    type(instance).objects.filter(pk=instance.pk).update(updated_at=stale)
    return stale
