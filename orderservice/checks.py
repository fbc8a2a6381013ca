"""System checks: what would otherwise fail only once the service runs, or only at the first request that needs it,
fails `manage.py check` instead, and gunicorn's start (gunicorn.conf.py runs the checks in each worker before it
serves). Registered by the app's AppConfig (orderservice/apps.py).

- The Django release: the compiled statements and the read path rely on Django's private ORM API
  (orderservice/database/compiled.py lists it), which may change in any release. The service is tested with one
  release series; another one stops the start unless ALLOW_UNTESTED_DJANGO says to run it anyway (after the seam
  tests in orderservice/tests/test_compiled.py pass on it).
- The read plans: every serializer class the API's views answer with is compiled into its read plan
  (orderservice/api/read_path.py), which refuses a field type it does not know how DRF writes.
"""

from collections.abc import Iterator
from types import SimpleNamespace

import django
from django.conf import settings
from django.core import checks
from django.urls import URLPattern, URLResolver, get_resolver

TESTED_DJANGO_SERIES = (5, 2)


def django_release(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if django.VERSION[:2] == TESTED_DJANGO_SERIES or settings.ALLOW_UNTESTED_DJANGO:
        return []
    tested = ".".join(map(str, TESTED_DJANGO_SERIES))
    return [
        checks.Error(
            f"Django {django.get_version()} is not the tested release series {tested}.x, whose private ORM API the "
            "compiled statements rely on; set ALLOW_UNTESTED_DJANGO=true to run it anyway",
            id="orderservice.E001",
        )
    ]


def read_plans(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from orderservice.api import read_path

    problems: list[checks.CheckMessage] = []
    for view, serializer_class in sorted(api_serializer_classes(), key=lambda found: (found[0], found[1].__name__)):
        try:
            read_path.plan_for(serializer_class)
        except Exception as error:  # a check reports what is wrong, it does not stop the others
            problems.append(
                checks.Error(f"{view} answers with {serializer_class.__name__}: {error}", id="orderservice.E002")
            )
    return problems


def api_serializer_classes() -> set[tuple[str, type]]:
    """(view, serializer class) for every serializer class a view of the API reads through the read path: for each
    of its reading actions, as staff (every permission it asks for) and as a customer (none)."""
    from orderservice.api.viewsets import FastReadMixin

    found = set()
    for pattern in _url_patterns(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None or not issubclass(view_class, FastReadMixin):
            continue
        actions = set(getattr(pattern.callback, "actions", {}).values()) or {getattr(view_class, "action", "list")}
        every_permission = frozenset(filter(None, getattr(view_class, "required_permission", {}).values()))
        for action in actions & ({"list", "retrieve"} | view_class.single_object_actions):
            for permissions in (every_permission, frozenset()):
                view = view_class(action=action, kwargs={}, format_kwarg=None, request=_request_with(permissions))
                found.add((f"{view_class.__module__}.{view_class.__qualname__}", view.get_serializer_class()))
    return found


def _request_with(permissions: frozenset) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(permissions=permissions, is_authenticated=True, id=None))


def _url_patterns(patterns) -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_patterns(pattern.url_patterns)
        else:
            yield pattern


def serious_problems() -> list[str]:
    """What `manage.py check` would stop for (errors not silenced by SILENCED_SYSTEM_CHECKS), one string each."""
    return [str(message) for message in checks.run_checks() if message.is_serious() and not message.is_silenced()]
