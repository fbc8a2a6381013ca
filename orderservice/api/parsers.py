"""Request bodies: DRF's JSON parser, refusing what no field of this API can hold before anything recurses into it."""

import io
import re
from collections.abc import Iterable
from itertools import accumulate

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32  # the deepest body the API takes is 3 ({"order_items": [{…}]})
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_CHANGE = {"[": 1, "{": 1, "]": -1, "}": -1}
# PostgreSQL cannot store NUL in text, and a lone surrogate (a "\ud800" escape) cannot be written as UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BoundedJSONParser(JSONParser):
    """JSON bodies nested at most MAX_JSON_DEPTH deep (counted on the text before it is parsed: a body nested a
    hundred thousand levels is refused in one pass, never recursed into), whose keys and strings hold no NUL
    character and no lone surrogate. Each refusal is a 400 problem naming the rule."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = stream.read()
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"JSON parse error - the body is not valid {encoding}") from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels")
        data = super().parse(io.BytesIO(body), media_type, parser_context)
        where = _unstorable_text_at(data)
        if where is not None:
            where = where.encode("unicode_escape").decode("ascii") or "the top level"  # a key may be the culprit
            raise ParseError(
                f"JSON parse error - text at {where} contains the NUL character or a lone surrogate, "
                "which cannot be stored"
            )
        return data


def json_depth(text: str) -> int:
    """How deep the JSON text nests arrays and objects (brackets inside strings do not count)."""
    brackets = _BRACKETS.findall(_STRING.sub("", text))
    return max(accumulate(_DEPTH_CHANGE[bracket] for bracket in brackets), default=0)


def _unstorable_text_at(data, path: str = "") -> str | None:
    """The dotted path of the first key or string holding unstorable characters, or None. Recursive, but only
    into data json_depth has bounded."""
    if isinstance(data, str):
        return path if _UNSTORABLE.search(data) else None
    items: Iterable[tuple[object, object]]
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _UNSTORABLE.search(key):
            return where
        found = _unstorable_text_at(value, where)
        if found is not None:
            return found
    return None
