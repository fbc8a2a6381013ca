"""drf-spectacular hooks."""


def document_api_once(endpoints):
    """/api/v1/… repeats /api/… exactly; the schema documents each operation once, under /api/."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/api/v1/")]
