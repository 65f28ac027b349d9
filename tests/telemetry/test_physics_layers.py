"""The fault library depends on the state, never on the physics that runs it (no import cycle)."""

import ast
import subprocess
import sys
from pathlib import Path

import dojo.telemetry

TELEMETRY = Path(dojo.telemetry.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every module a file imports, including imports only made for type checking."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_fault_module_imports_the_physics():
    for path in sorted((TELEMETRY / "faults").glob("*.py")):
        bad = {m for m in _imports(path) if m.endswith("physics")}
        assert not bad, f"{path.name} imports {bad}"


def test_the_state_module_imports_neither_physics_nor_faults():
    bad = {m for m in _imports(TELEMETRY / "state.py") if "physics" in m or "faults" in m}
    assert not bad


def test_loading_the_fault_library_does_not_load_the_physics():
    code = "import sys, dojo.telemetry.faults; print('dojo.telemetry.physics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
