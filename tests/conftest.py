import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The suite tests this checkout, even where another copy of the package is installed.
sys.path.insert(0, str(ROOT))

# The incident cache of the suite: one folder per test run, never the user's own cache, so a
# test run neither reads stale incidents nor fills the machine's cache folder. The workers of
# `pytest -n` share their controller's folder (the cache publishes an entry by one rename, so
# two writers are safe): a built-in scenario is synthesized once per run, not once per worker.
# Each folder is named by the process that owns it: a killed run's folder (atexit never ran) is
# removed by the next run.
_CACHES = Path(tempfile.gettempdir()) / "dojo-test-cache"
_CACHES.mkdir(exist_ok=True)
for _old in _CACHES.iterdir():
    try:
        os.kill(int(_old.name), 0)
    except (ValueError, ProcessLookupError):
        shutil.rmtree(_old, ignore_errors=True)
    except PermissionError:
        pass
_WORKER = "PYTEST_XDIST_WORKER" in os.environ
_CACHE = str(_CACHES / str(os.getppid() if _WORKER else os.getpid()))
if not _WORKER:
    shutil.rmtree(_CACHE, ignore_errors=True)
    atexit.register(shutil.rmtree, _CACHE, True)
os.makedirs(_CACHE, exist_ok=True)
os.environ["DOJO_CACHE_DIR"] = _CACHE
# No warm dojo (dojo/serve/warm.py) is started or used by a test unless it asks for one in its own
# folders: a test run must never leave a server behind, nor be served by the user's.
os.environ["DOJO_FORK_SERVER"] = "off"

# Loading a scenario checks it against the fault library, which dojo.telemetry lends the loader
# when imported (dojo/scenario/hooks.py); tests load scenarios without synthesizing them.
import dojo.telemetry  # noqa: E402, F401


def pytest_collection_modifyitems(config, items):
    """Modules holding a slow test run first, each kept whole (its module fixtures are set up
    once). Under `pytest -n 2` the workers take tests in this order, so the long ones start early
    and the run ends on short tests on both workers, not on one 20 s test with the other idle."""
    slow = {item.module.__name__ for item in items if item.get_closest_marker("slow") and hasattr(item, "module")}
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "__name__", "") not in slow)
