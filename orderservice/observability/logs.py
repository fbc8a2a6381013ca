"""Structured logs: every line, ours and those of Django, gunicorn and the standard library, is rendered by
structlog, as JSON (production) or as readable text (development), with the request id and caller subject
of the request being served.

No Django imports here: gunicorn.conf.py renders gunicorn's own lines with the same formatter.
"""

import logging
import os
import sys

import orjson
import structlog
from structlog.typing import Processor

from orderservice.config import fail_start

LOG_FORMATS = ("json", "console")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Applied to our structlog events and to records from standard-library loggers alike.
_SHARED_PROCESSORS: list[Processor] = [
    structlog.contextvars.merge_contextvars,  # request_id and subject of the request being served
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def log_format() -> str:
    """LOG_FORMAT, by default JSON in production and readable text in development."""
    production = os.environ.get("ENVIRONMENT", "development").strip().lower() == "production"
    value = os.environ.get("LOG_FORMAT", "").strip().lower() or ("json" if production else "console")
    if value not in LOG_FORMATS:
        fail_start(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return value


def log_level() -> str:
    value = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    if value not in LOG_LEVELS:
        fail_start(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {value!r}")
    return value


def _orjson_dumps(event: dict, default) -> str:
    return orjson.dumps(event, default=default).decode()


def _renderers(json: bool) -> list[Processor]:
    if json:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(_orjson_dumps)]
    # Plain tracebacks: rich ones would print local variables, tokens among them.
    return [
        structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), sort_keys=False, exception_formatter=structlog.dev.plain_traceback
        )
    ]


def structured_formatter(json: bool) -> structlog.stdlib.ProcessorFormatter:
    """Renders standard-library records as one JSON object or one readable line each."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_renderers(json)],
    )


class AsOneLineWarning(logging.Filter):
    """The record as a WARNING without its traceback: for a refusal that is the client's doing, which Django logs as
    an ERROR with the exception's traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info, record.exc_text = None, None
        return True


def logging_config(*, level: str, json: bool, log_sql: bool = False) -> dict:
    """Django's LOGGING: one handler, on the root, with the structured formatter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": structured_formatter, "json": json}},
        "filters": {"as_one_line_warning": {"()": AsOneLineWarning}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # A Host header not in ALLOWED_HOSTS (scanners send them by the thousand): its 400, one warning line.
            "django.security.DisallowedHost": {
                "handlers": [],
                "filters": ["as_one_line_warning"],
                "level": level,
                "propagate": True,
            },
            # Everything goes to the one handler on the root; these only set levels.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.request": {"handlers": [], "level": "ERROR", "propagate": True},  # 4xx: our request line says it
            "django.server": {"handlers": [], "level": "WARNING", "propagate": True},  # runserver's own request line
            "django.db.backends": {"handlers": [], "level": "DEBUG" if log_sql else level, "propagate": True},
            # pika writes a line per socket step, and eight errors per failed connection: the relay logs one warning.
            "pika": {"handlers": [], "level": "CRITICAL", "propagate": True},
        },
    }


class _StderrLogger:
    """Writes each rendered line to the current sys.stderr, where the standard library's handler writes too."""

    def __init__(self, name: str = ""):
        self.name = name  # for add_logger_name

    def msg(self, line: str) -> None:
        sys.stderr.write(line + "\n")

    debug = info = warning = error = critical = msg


def configure_structlog(*, json: bool, level: str) -> None:
    """Our own lines (one per request, business events) skip the standard library: through it, the same line
    costs several times as much, on every request."""
    structlog.configure(
        processors=[*_SHARED_PROCESSORS, *_renderers(json)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )


def log_every_query(sender, connection, **kwargs) -> None:
    """LOG_SQL: Django logs queries only with DEBUG on, or on a connection that forces its debug cursor."""
    connection.force_debug_cursor = True
