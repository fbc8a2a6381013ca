"""The admin's login fails closed: django-axes locks one user out from one address after AXES_FAILURE_LIMIT
failed logins in a row, with a page saying when to try again; staff passwords pass Django's four validators;
production's session and CSRF cookies are `__Host-` cookies. The API, which has no logins, never meets any of
it. The same lockout in a real browser is in orders/tests/test_admin_browser.py."""

import re
import secrets
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User

from orderservice.testing.live_service import PROJECT_ROOT

pytestmark = pytest.mark.django_db
PASSWORD = "a-staff-password-for-tests"


@pytest.fixture
def staff():
    return User.objects.create_superuser("staff", "staff@example.com", PASSWORD)


def log_in(client, password: str, address: str = "10.0.0.1", username: str = "staff"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_five_failed_logins_lock_that_user_out_from_that_address_with_a_page_saying_when_to_retry(client, staff):
    failures = [log_in(client, "wrong").status_code for _ in range(4)]
    locked = log_in(client, "wrong")
    with_the_right_password = log_in(client, PASSWORD)

    assert failures == [200] * 4  # the login form again, with its error
    for response in (locked, with_the_right_password):
        assert response.status_code == 429 and response["Retry-After"] == "900"
        text = " ".join(response.content.decode().split())
        assert (
            "Too many failed logins for this user from your address: logging in is locked for 15 minutes. "
            "Try again after "
        ) in text
        retry_at = re.search(r"Try again after (\d\d):(\d\d) UTC", text).groups()
        expected = datetime.now(UTC) + timedelta(minutes=15)
        assert retry_at in {(f"{moment:%H}", f"{moment:%M}") for moment in (expected - timedelta(minutes=1), expected)}
    assert not logged_in(client)


def test_the_lockout_holds_one_user_at_one_address_only(client, staff):
    User.objects.create_superuser("other", "other@example.com", PASSWORD)
    for _ in range(5):
        log_in(client, "wrong")

    assert log_in(client, PASSWORD, address="10.0.0.2").status_code == 302  # the same user elsewhere
    client.logout()
    assert log_in(client, PASSWORD, username="other").status_code == 302  # another user from there
    assert logged_in(client)


def test_a_successful_login_resets_the_count(client, staff):
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302
    client.logout()

    assert [log_in(client, "wrong").status_code for _ in range(4)] == [200] * 4
    assert log_in(client, PASSWORD).status_code == 302


def test_a_proxy_in_forwarded_allow_ips_is_not_the_client_its_x_forwarded_for_names_it(client, staff):
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "staff", "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.9",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.9"  # what the trusted proxy appended
    # Another client behind the same proxy is not locked out; a forged header from elsewhere is not believed.
    assert (
        client.post(
            "/admin/login/",
            {"username": "staff", "password": PASSWORD},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.10",
        ).status_code
        == 302
    )
    client.logout()
    client.post(
        "/admin/login/",
        {"username": "staff", "password": "wrong"},
        REMOTE_ADDR="192.0.2.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AccessAttempt.objects.filter(ip_address="192.0.2.1").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", "This password is too common."),
        ("8342195", "This password is entirely numeric."),
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("staff@example.com", "The password is too similar to the email address."),
    ],
)
def test_staff_cannot_set_a_weak_password(client, staff, password, message):
    client.force_login(staff)

    response = client.post(
        "/admin/password_change/", {"old_password": PASSWORD, "new_password1": password, "new_password2": password}
    )

    assert response.status_code == 200
    assert message in [str(error) for error in response.context["form"].errors["new_password2"]]
    staff.refresh_from_db()
    assert staff.check_password(PASSWORD)


def test_the_users_page_refuses_a_common_password_too(client, staff):
    clerk = User.objects.create_user("clerk", "clerk@example.com", "an-old-clerk-password", is_staff=True)
    client.force_login(staff)

    response = client.post(
        f"/admin/auth/user/{clerk.pk}/password/",
        {"password1": "password", "password2": "password", "usable_password": "true"},
    )

    assert response.status_code == 200 and "This password is too common." in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("an-old-clerk-password")


def test_staff_passwords_are_stored_as_pbkdf2_with_a_million_rounds(real_password_hashers):
    """The other tests hash with MD5, for speed (conftest.py); the service's own settings hash like this."""
    staff = User.objects.create_superuser("staff", "staff@example.com", PASSWORD)

    algorithm, rounds, _salt, _hash = staff.password.split("$")
    assert (algorithm, int(rounds)) == ("pbkdf2_sha256", 1_000_000)


def test_the_api_never_reaches_the_login_lockout(api_client, monkeypatch):
    from axes.middleware import AxesMiddleware

    def refuse(self, request):
        raise AssertionError(f"django-axes' middleware ran for {request.path}")

    monkeypatch.setattr(AxesMiddleware, "__call__", refuse)
    assert api_client.get("/api/products").status_code == 200
    assert not AccessAttempt.objects.exists()


def test_production_sessions_last_eight_hours_in_host_only_secure_cookies(tmp_path):
    """Production's settings in a process of their own; the login page's static files need no collectstatic."""
    unhashed_static = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    script = (
        "from django.conf import settings; from django.test import Client, override_settings; "
        f"response = override_settings(STORAGES={unhashed_static!r})(Client().get)('/admin/login/', secure=True); "
        "print(settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_AGE, settings.SESSION_COOKIE_SECURE); "
        "print(response.cookies.output())"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver",
            "JWT_AUTHORITY": "https://users.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
            "LOG_LEVEL": "WARNING",
        },
    )
    assert result.returncode == 0, result.stderr
    settings_line, cookie_line = result.stdout.strip().splitlines()[-2:]  # after the shell's own lines
    assert settings_line == "__Host-sessionid 28800 True"
    assert cookie_line.startswith("Set-Cookie: __Host-csrftoken=")
    assert "; Path=/" in cookie_line and "; Secure" in cookie_line and "Domain" not in cookie_line
