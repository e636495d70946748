"""Which database failures pass and which are the data's fault, for callers outside storage.

The database down or overloaded passes: try again later. A value the database refuses, or a
duplicate nobody expected, fails the same way every time: retrying would never end.
"""

from __future__ import annotations

from sqlalchemy import exc as db

STORAGE_UNAVAILABLE: tuple[type[Exception], ...] = (
    db.OperationalError,
    db.InterfaceError,
    db.TimeoutError,
    db.DisconnectionError,
    TimeoutError,
    ConnectionError,
)
UNSTORABLE: tuple[type[Exception], ...] = (db.DataError, db.IntegrityError)
