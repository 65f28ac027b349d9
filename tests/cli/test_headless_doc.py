"""docs/headless.md shows a real session and the real command list: replay both and compare."""

from tests.cli.headless_example import DOC, generated, normalized


def test_the_doc_shows_what_dojo_really_says(tmp_path):
    doc = DOC.read_text()
    fresh = generated(doc, tmp_path / "home")
    assert normalized(fresh) == normalized(doc), (
        "docs/headless.md is stale: run python -m tests.cli.headless_example --write"
    )
