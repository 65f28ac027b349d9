"""The scenario layer never imports telemetry: telemetry lends it the fault library and the reader
of imported files when it is imported, and a loader without them says so."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "fixtures" / "checkout-retry-storm.yaml"


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return out.stdout.strip()


def test_the_loader_without_telemetry_refuses_rather_than_skips_the_fault_checks():
    code = (
        "import sys\n"
        "from dojo.scenario import load_scenario\n"
        "try:\n"
        f"    load_scenario({str(SCENARIO)!r})\n"
        "except RuntimeError as exc:\n"
        "    print(exc)\n"
        "print('telemetry loaded' if 'dojo.telemetry' in sys.modules else 'telemetry not loaded')\n"
    )
    assert run(code).splitlines() == [
        "no fault library: import dojo.telemetry before loading scenarios",
        "telemetry not loaded",
    ]


def test_with_telemetry_imported_the_fault_library_judges_the_timeline():
    code = (
        "import dojo.telemetry\n"
        "from dojo.scenario import ScenarioErrors, load_scenario, parse_scenario\n"
        f"text = open({str(SCENARIO)!r}).read()\n"
        f"print(load_scenario({str(SCENARIO)!r}).id)\n"
        "try:\n"
        "    parse_scenario(text.replace('kind: retry_storm', 'kind: retry_strom'), 'x.yaml')\n"
        "except ScenarioErrors as exc:\n"
        "    print('refused' if 'retry_strom' in str(exc) else str(exc))\n"
    )
    assert run(code).splitlines() == ["checkout-retry-storm", "refused"]
