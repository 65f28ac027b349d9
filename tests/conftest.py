import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The suite tests this checkout, even where another copy of the package is installed.
sys.path.insert(0, str(ROOT))

# Loading a scenario checks it against the fault library, which dojo.telemetry lends the loader
# when imported (dojo/scenario/hooks.py); tests load scenarios without synthesizing them.
import dojo.telemetry  # noqa: E402, F401
