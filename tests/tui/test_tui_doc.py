"""docs/tui.md lists every key the app binds, by its command name: adding a key means saying
what it does."""

import importlib
from pathlib import Path

from dojo.tui.commands import command_name

DOC = Path(__file__).resolve().parents[2] / "docs" / "tui.md"
CLASSES = {
    "dojo.tui.app": ["DojoApp"],
    "dojo.tui.screens.library": ["LibraryScreen", "ScenarioTable"],
    "dojo.tui.screens.briefing": ["BriefingScreen"],
    "dojo.tui.screens.workspace": ["WorkspaceScreen"],
    "dojo.tui.screens.diagnosis": ["DiagnosisScreen"],
    "dojo.tui.screens.hypothesis": ["HypothesisScreen"],
    "dojo.tui.screens.act": ["ActionScreen"],
    "dojo.tui.screens.confirm": ["ConfirmScreen"],
    "dojo.tui.screens.debrief": ["DebriefScreen"],
    "dojo.tui.screens.progress": ["ProgressScreen"],
    "dojo.tui.screens.help": ["HelpScreen"],
    "dojo.tui.widgets.journal": ["JournalPanel"],
    "dojo.tui.widgets.log_view": ["LogView"],
    "dojo.tui.widgets.logs_pane": ["LogsPane"],
    "dojo.tui.widgets.trace_list": ["TraceList"],
    "dojo.tui.widgets.waterfall": ["Waterfall"],
    "dojo.tui.widgets.service_map": ["ServiceMap"],
    "dojo.tui.widgets.timeline": ["Timeline"],
}


def bindings():
    for module, names in CLASSES.items():
        mod = importlib.import_module(module)
        for name in names:
            yield from getattr(mod, name).__dict__.get("BINDINGS", [])


def test_every_binding_has_an_id_a_description_and_a_line_in_the_doc():
    text = " ".join(DOC.read_text().split())  # a name may break across lines
    missing = []
    for b in bindings():
        assert b.id and "." in b.id, f"{b.key}: a binding id is noun.verb"
        assert b.description, f"{b.id}: a binding needs a description"
        if command_name(b.id) not in text:
            missing.append(command_name(b.id))
    assert not missing, f"docs/tui.md does not mention: {', '.join(missing)}"
