"""Attempts as append-only event logs.

SQLite on the learner's machine by default (`Store.open()`, file under `data_dir()`); the store
knows nothing of what the events mean: the engine folds them into state and scores.
"""

from .errors import StoreCorrupt, StoreError, StoreLocked
from .model import AttemptRow, Event
from .paths import data_dir, store_path
from .sqlite import Store

__all__ = ["AttemptRow", "Event", "Store", "StoreCorrupt", "StoreError", "StoreLocked", "data_dir", "store_path"]
