import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The suite tests this checkout, even where another copy of the package is installed.
sys.path.insert(0, str(ROOT))
