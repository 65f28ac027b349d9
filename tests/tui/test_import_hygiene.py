"""What imports what: the core never imports the UI toolkit, and the UI's start-up path imports
only what the library screen draws with (textual, yaml, the store), never the data stack."""

import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "numpy", "faker")


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_core_imports_no_textual():
    core = (
        "import dojo.scenario, dojo.telemetry, dojo.telemetry.synthesize, dojo.engine, dojo.engine.session, "
        "dojo.engine.protocol, dojo.store, dojo.cli"
    )
    assert loaded_after(core, ("textual",)) == []


def test_the_library_screen_needs_no_data_stack():
    """`dojo` imports the CLI, the app and the library screen, and reads the cards, before the
    first paint: the heavy libraries load later, off the UI thread."""
    code = (
        "import dojo.cli\n"
        "from dojo.tui.app import DojoApp\n"
        "from dojo.tui.screens.library import LibraryScreen\n"
        "from dojo.tui.data.library import read_cards\n"
        "assert read_cards()\n"
        "DojoApp()\n"
    )
    assert loaded_after(code, HEAVY + ("pydantic",)) == []
