import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The suite tests this checkout, even where another copy of the package is installed.
sys.path.insert(0, str(ROOT))

# The incident cache of the suite: one folder per test process, never the user's own cache, so
# a test run neither reads stale incidents nor fills the machine's cache folder. Each folder is
# named by its process: a killed run's folder (atexit never ran) is removed by the next run.
_CACHES = Path(tempfile.gettempdir()) / "dojo-test-cache"
_CACHES.mkdir(exist_ok=True)
for _old in _CACHES.iterdir():
    try:
        os.kill(int(_old.name), 0)
    except (ValueError, ProcessLookupError):
        shutil.rmtree(_old, ignore_errors=True)
    except PermissionError:
        pass
_CACHE = str(_CACHES / str(os.getpid()))
shutil.rmtree(_CACHE, ignore_errors=True)
os.makedirs(_CACHE)
os.environ["DOJO_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

# Loading a scenario checks it against the fault library, which dojo.telemetry lends the loader
# when imported (dojo/scenario/hooks.py); tests load scenarios without synthesizing them.
import dojo.telemetry  # noqa: E402, F401
