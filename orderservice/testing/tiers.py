"""The suite's slow tiers, the markers pytest.ini registers: `browser` (Chromium), `broker` (RabbitMQ), `live`
(gunicorn in its own processes) and `fuzz` (Hypothesis, Schemathesis). `-m "not (browser or broker or live or
fuzz)"` is the fast tier, so a test that starts any of the first three must carry its mark: `require` (called
where each is started) fails a test that does not, rather than let it slow the fast tier unnoticed. The fuzz
modules carry theirs as a module mark."""

SLOW = {"browser", "broker", "live", "fuzz"}

# The markers of the test being set up (conftest.py); None outside pytest, where nothing is checked.
current_markers: set[str] | None = None


def require(marker: str, what: str) -> None:
    if current_markers is not None and marker not in current_markers:
        raise RuntimeError(f"a test that {what} must be marked @pytest.mark.{marker} (see pytest.ini)")
