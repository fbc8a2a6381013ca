"""What the tests share, whatever app they test: factories and the order lifecycle as the tests state it,
assertions on API answers and on what a refused request must leave as it was, the loopback JWKS server that
signs their tokens, the live service in its own processes, and the admin's pages. Tests import from here;
no test module imports another."""

import pkgutil

import pytest

# Registered before any of them is imported, its modules' assertions explain a failure as a test's own do.
pytest.register_assert_rewrite(*(f"{__name__}.{module.name}" for module in pkgutil.iter_modules(__path__)))
