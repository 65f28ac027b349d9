"""The worked example of docs/scoring.md, played for real on the built-in scenario.

    python -m tests.engine.scoring_example      # prints the block the doc shows

A manual clock at 1x, so learner seconds are the scenario seconds advanced.
"""

from __future__ import annotations

STEPS = """\
0:00   paged by CheckoutP99High at 16:00 on the scenario clock
0:00   hypothesis H1: the payment provider is slow (payment-provider, dependency_latency)
4:00   diagnose payment-provider / dependency_latency -> wrong (+2:00)
4:00   hint 1 (+1:00)
4:00   pin a checkout WARN line 'retrying request to payments' to H2: checkout retries without backoff
7:00   pin the payments rps window from 10:00 to 23:00 (it doubles)
9:00   diagnose checkout / retry_storm -> correct"""


def play(session) -> dict:
    s = session
    s.add_hypothesis("the payment provider is slow", service="payment-provider", fault="dependency_latency")
    s.advance(240)
    s.diagnose("payment-provider", "dependency_latency", "the provider's latency went up at 15m")
    s.hint()
    s.update_hypothesis("H1", status="ruled_out")
    s.add_hypothesis("checkout retries without backoff", service="checkout", fault="retry_storm")
    line = s.logs(service="checkout", level="WARN", contains="retrying request to payments", limit=1).lines[0]
    s.pin(line.id, hypothesis="H2")
    s.advance(180)
    window = s.metrics(service="payments", metric="rps", since=600.0).window
    s.pin(window.id, hypothesis="H2", note="payments rps doubles")
    s.advance(120)
    return s.diagnose("checkout", "retry_storm", "checkout retries each failed payment call 4x with no backoff").card


def render(card: dict) -> str:
    ev = "\n".join(
        f"  {'+' if t['matched_by'] else '-'} {t['selector']}"
        + (f"  <- {', '.join(t['matched_by'])}" if t["matched_by"] else "")
        for t in card["evidence"]
    ) + "".join(
        "\n  pin "
        + p["pin"]
        + (" shows " + "; ".join(p["proved"]) if p["proved"] else " proves nothing: " + p["why_not"])
        for p in card["pins"]
    )
    return f"""\
ttcd_s          {card["ttcd_s"]:g}
wrong_s         {card["wrong_diagnoses"]} x {card["wrong_penalty_s"]:g} = {card["wrong_s"]:g}
hints_s         {" + ".join(f"{c:g}" for c in card["hint_costs_s"]) or "0"} = {card["hints_s"]:g}
penalty_s       {card["penalty_s"]:g}
adjusted_s      {card["ttcd_s"]:g} + {card["penalty_s"]:g} = {card["adjusted_s"]:g}
base            100 x difficulty {card["difficulty"]} = {card["base"]}
speed           par / (par + adjusted) = {card["par_s"]:g} / ({card["par_s"]:g} + {card["adjusted_s"]:g}) = {card["speed"]}
speed_points    {card["base"]} x {card["par_s"]:g} / {card["par_s"] + card["adjusted_s"]:g} = {card["speed_points"]:g}
evidence        {card["evidence_matched"]} of {card["evidence_total"]} selectors matched
{ev}
evidence_points {card["base"]} x {card["evidence_weight"]:g} x {card["evidence_matched"]}/{card["evidence_total"]} = {card["evidence_points"]:g}
points          round({card["speed_points"]:g} + {card["evidence_points"]:g}) = {card["points"]}"""  # noqa: E501 - the card's layout, verbatim


def main() -> None:
    import sys
    import tempfile
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from dojo.engine.session import Session
    from dojo.scenario import load_scenario
    from dojo.store import Store

    sc = load_scenario(Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "checkout-retry-storm.yaml")
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "dojo.sqlite3") as store:
        print(render(play(Session.start(sc, store, clock="manual"))))


if __name__ == "__main__":
    main()
