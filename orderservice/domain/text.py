"""What text the service stores. One-line fields (names, email, phone, SKU, category) hold no control characters
and no Unicode bidirectional overrides or isolates, which can make a name display as something it is not;
multi-line fields (addresses, descriptions, notes) may also hold line breaks and tabs. Models carry these
validators, so the API's serializers and the admin's forms refuse the same text."""

import re

from django.core.exceptions import ValidationError

# U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates); lone surrogates cannot be stored as UTF-8.
_ALWAYS_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_REFUSED_IN_ONE_LINE = re.compile(f"[{_ALWAYS_REFUSED}\t\n\r]")
_REFUSED_IN_MULTI_LINE = re.compile(f"[{_ALWAYS_REFUSED}]")


def _refuse(found: re.Match, rule: str) -> None:
    raise ValidationError(f"{rule} (found U+{ord(found.group()):04X}).", code="invalid_character")


def one_line_text(value: str) -> None:
    """One line: no control characters (line breaks and tabs included) and no bidirectional overrides."""
    found = _REFUSED_IN_ONE_LINE.search(value)
    if found:
        _refuse(found, "Must be one line of text without control characters or bidirectional overrides")


def multi_line_text(value: str) -> None:
    """Line breaks (CR, LF) and tabs allowed; no other control character and no bidirectional override."""
    found = _REFUSED_IN_MULTI_LINE.search(value)
    if found:
        _refuse(
            found, "Must be text without control characters (line breaks and tabs are fine) or bidirectional overrides"
        )
