"""Which database errors a client should retry: the database cannot be reached (connection refused, reset, timed
out, shut down, locked) is a `503` with Retry-After, anything else a fault. ApiProblemMiddleware answers with
it; readiness reports the same outage to the load balancer."""

import sqlite3

import psycopg
from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 5  # a database outage is usually seconds (a failover, a restart); readiness covers longer

# PostgreSQL SQLSTATEs that mean "no connection", not "this statement is wrong": class 08 (connection
# exception), the server shutting down or starting up (57P01-57P03), and too many connections (53300).
_POSTGRES_UNAVAILABLE_CLASSES = ("08",)
_POSTGRES_UNAVAILABLE_STATES = {"57P01", "57P02", "57P03", "53300"}
# SQLite's primary result codes for a busy or locked database file and one that cannot be opened; "no such
# table" and other statement errors are SQLITE_ERROR (1): faults.
_SQLITE_UNAVAILABLE_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN}
# psycopg raises InterfaceError for its own misuse too ("the cursor is closed"); only this one names a
# connection that is not ready ("cannot execute operations: the connection is in status …").
_CONNECTION_INTERFACE_MESSAGE = "the connection is"


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached right now, rather than that a statement failed."""
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    cause = error.__cause__  # the driver's own exception, which Django wraps
    if isinstance(cause, sqlite3.Error):
        return (
            isinstance(error, OperationalError)
            and (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_UNAVAILABLE_CODES
        )
    if not isinstance(cause, psycopg.Error):  # only psycopg's errors are told apart here
        return False
    if isinstance(error, InterfaceError):
        return _CONNECTION_INTERFACE_MESSAGE in str(cause)
    # The server never answered (refused, reset, timed out, closed): psycopg has no SQLSTATE for that.
    sqlstate = cause.sqlstate
    return (
        sqlstate is None
        or sqlstate.startswith(_POSTGRES_UNAVAILABLE_CLASSES)
        or sqlstate in _POSTGRES_UNAVAILABLE_STATES
    )


def one_line(error: BaseException) -> str:
    """The driver's message on one line (psycopg's span several), for a warning that needs no traceback."""
    return " ".join(str(error.__cause__ or error).split())
