"""Admin pages in Django test-client tests: what a page's form would submit, the messages it shows, and how
many queries it takes."""

from html.parser import HTMLParser

from django.db import connection
from django.test.utils import CaptureQueriesContext


class _FormParser(HTMLParser):
    """The fields of the admin's main form (`<form id="…_form">`) with the values a browser would submit."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = (attrs.get("id") or "").endswith("_form")
        if not self._in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.fields[name] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = attrs.get("value", "")
            if "selected" in attrs:
                self.fields[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select:
            self.fields.setdefault(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(response) -> dict[str, str]:
    """What the page's form submits untouched, e.g. `{**form_fields(page), "first_name": "Ann"}` to edit."""
    assert response.status_code == 200, response.status_code
    parser = _FormParser()
    parser.feed(response.content.decode())
    # A textarea's first newline belongs to the markup, not to its value.
    return {name: value.removeprefix("\n") for name, value in parser.fields.items()}


def shown_messages(response) -> list[str]:
    """The messages (success, warning, error) a rendered admin page shows, in order."""
    return [str(message) for message in response.context["messages"]]


def error_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"] if message.level_tag == "error"]


def queries_to_get(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(queries)
