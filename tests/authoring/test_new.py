"""`dojo new` writes a scenario that loads and lints clean as written, for every fault kind."""

import pytest
import yaml
from click.testing import CliRunner

from dojo.authoring.lint import lint
from dojo.authoring.new import FlagError, flow, parse_services, scalar
from dojo.cli import cli
from dojo.scenario import load_scenario
from dojo.telemetry.faults import FAULTS
from dojo.telemetry.synthesize import synthesize

# Small and short, so one synthesis takes a fraction of a second; a queue for the faults that
# need one and an external provider for those that strike other companies' APIs.
TOPOLOGY = "web:lb,api:http,jobs:queue,db:db,provider:external"
FAST = ["--services", TOPOLOGY, "--duration", "20m", "--rps", "20"]


def new(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["new", *args], input=input)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_kind_scaffolds_a_clean_scenario(tmp_path, fault):
    out = tmp_path / f"{fault}.yaml"
    res = new("--fault", fault, "--id", f"s-{fault.replace('_', '-')}", "--out", str(out), *FAST)
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    errors = [f for f in lint(sc, synthesize(sc)) if f.severity == "error"]
    assert errors == [], errors
    assert sc.answer.accepted[0].fault == fault
    assert any(ev.red_herring and ev.kind == "deploy" for ev in sc.timeline)
    assert len(sc.hints) == 2 and all(h.cost > 0 for h in sc.hints)
    assert sc.objectives and sc.par > 0
    if fault != "no_fault":
        assert sc.answer.evidence, "a scaffold should show the learner what proves it"


def test_the_file_teaches_the_format(tmp_path):
    out = tmp_path / "pool.yaml"
    res = new(
        "--fault",
        "connection_pool_exhaustion",
        "--id",
        "pool",
        "--out",
        str(out),
        "--services",
        "minimal",
        "--duration",
        "20m",
    )
    assert res.exit_code == 0, res.output
    text = out.read_text()
    for key in (
        "id",
        "duration",
        "briefing",
        "services",
        "timeline",
        "alerts",
        "answer",
        "hints",
        "par",
        "objectives",
        "debrief",
    ):
        # Every section has a comment right above it saying what it is.
        before = text.split(f"\n{key}:")[0].rstrip().splitlines()[-1]
        assert before.startswith("#"), key
    for heading in (
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Contributing factors",
        "## What went well",
        "## Action items",
    ):
        assert heading in text
    assert "red_herring: true" in text
    assert "HikariPool-1" in text  # evidence in the fault's own words
    assert "wrote" in res.output and "pages at" in res.output


def test_the_fault_service_can_be_chosen(tmp_path):
    out = tmp_path / "slow.yaml"
    res = new("--fault", "dependency_latency", "--service", "provider", "--id", "slow", "--out", str(out), *FAST)
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    assert sc.answer.accepted[0].service == "provider"


def test_default_out_and_refusing_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["--fault", "connection_pool_exhaustion", "--id", "defect", "--services", "minimal", "--duration", "20m"]
    assert new(*args).exit_code == 0
    out = tmp_path / "scenarios" / "defect.yaml"
    first = out.read_text()
    res = new(*args)
    assert res.exit_code == 1 and "--force" in res.output and len(res.output.strip().splitlines()) == 1
    assert new(*args, "--force", "--seed", "2").exit_code == 0
    assert out.read_text() != first


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--id", "x"], "--fault"),
        (["--fault", "memory_leak"], "--id"),
        (["--fault", "no_such_kind", "--id", "x"], "--fault"),
        (["--fault", "memory_leak", "--id", "Not A Slug"], "--id"),
        (["--fault", "memory_leak", "--id", "x", "--services", "web:router"], "--services"),
        (["--fault", "memory_leak", "--id", "x", "--services", "minimal", "--service", "nope"], "--service"),
        (["--fault", "memory_leak", "--id", "x", "--difficulty", "9"], "--difficulty"),
        (["--fault", "memory_leak", "--id", "x", "--duration", "soon"], "--duration"),
    ],
)
def test_missing_or_bad_flags_fail_in_one_line(tmp_path, args, flag):
    res = new(*args, "--out", str(tmp_path / "x.yaml"))
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in res.output
    assert not (tmp_path / "x.yaml").exists()


def test_a_fault_that_cannot_show_where_asked_fails_in_one_line(tmp_path):
    # A queue's lag needs a queue: on a database it moves nothing a page could watch.
    res = new(
        "--fault",
        "queue_lag",
        "--id",
        "x",
        "--services",
        "minimal",
        "--service",
        "db",
        "--duration",
        "10m",
        "--out",
        str(tmp_path / "x.yaml"),
    )
    assert res.exit_code == 1, res.output
    assert len(res.output.strip().splitlines()) == 1 and "--service" in res.output


def test_in_a_terminal_it_asks_for_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr("dojo.commands.authoring.interactive", lambda: True)
    out = tmp_path / "asked.yaml"
    # fault, services, where, id, title, difficulty
    answers = "\n".join(["dependency_latency", "minimal", "db", "asked-one", "Slow database", "3"]) + "\n"
    res = new("--out", str(out), "--duration", "20m", input=answers)
    assert res.exit_code == 0, res.output
    assert "Fault kind" in res.output and "Services" in res.output and "Difficulty" in res.output
    sc = load_scenario(out)
    assert (sc.id, sc.title, sc.difficulty, sc.answer.accepted[0].service) == ("asked-one", "Slow database", 3, "db")


def test_services_by_tiers_and_presets():
    nodes = {n.name: n for n in parse_services("web:lb,api:http,worker:worker,db:db,cache:cache")}
    assert nodes["web"].calls == ("api", "worker")
    assert nodes["api"].calls == nodes["worker"].calls == ("db", "cache")
    assert nodes["db"].calls == ()
    assert [n.name for n in parse_services("api")] == ["api"]
    assert any(n.kind == "queue" for n in parse_services("shop"))
    with pytest.raises(FlagError):
        parse_services("web:lb,web:http")


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "no",
        "on",
        "1e-05",
        "12",
        "a: b",
        "#x",
        "x # y",
        "[1]",
        "{a}",
        "'q'",
        '"q"',
        "null",
        "",
        " pad",
        "été",
        "v1.4.1",
        "9m",
    ],
)
def test_scalars_read_back_as_written(value):
    assert yaml.safe_load(f"k: {scalar(value)}")["k"] == value
    assert yaml.safe_load(f"k: {flow({'a': value})}")["k"] == {"a": value}


@pytest.mark.parametrize("value", [0.1, 1e-05, 2000.0, 3, True, 0.35])
def test_numbers_read_back_as_written(value):
    assert yaml.safe_load(f"k: {scalar(value)}")["k"] == value


def test_the_no_fault_control_pages_on_other_seeds_too(tmp_path):
    # Its rule is mis-tuned noise: it must flap on any draw of the incident, not only the scaffold's
    # own seed (dojo play --seed, the fairness trial's other seeds).
    out = tmp_path / "nf.yaml"
    res = new("--fault", "no_fault", "--id", "nf", "--out", str(out))  # the shop, where it once failed
    assert res.exit_code == 0, res.output
    sc = load_scenario(out)
    rule = sc.alerts[0].name
    for seed in range(2, 8):
        fired = synthesize(sc, seed=seed).events.query("kind == 'alert_firing' and name == @rule")
        assert len(fired) > 0, f"seed {seed}: {rule} never fires"


def test_the_summary_says_times_as_durations(tmp_path):
    res = new("--fault", "no_fault", "--id", "nf", "--out", str(tmp_path / "nf.yaml"), *FAST)
    head = res.output.splitlines()[0]
    assert " at 8m;" in head and "pages at " in head and "." not in head.split("pages at ")[1].split(";")[0]
