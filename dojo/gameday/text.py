"""The game's status as a few lines of text (for `dojo gameday status` without --json)."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def presence(t: dict) -> str:
    """'2/3 online, 1 away': members online of all who joined, and those whose client went quiet."""
    away = len(t.get("away", []))
    return f"{len(t['online'])}/{len(t['members'])} online" + (f", {away} away" if away else "")


def status_text(st: dict) -> str:
    left = "" if st.get("left_s") is None else f"   left {clock(st['left_s'])}"
    lines = [f"{st['game']}  {st['title']}  [{st['phase']}]  game time {clock(st['running_s'])}{left}"]
    for t in st["teams"]:
        ttcd = f"solved in {clock(t['ttcd_s'])}" if t["solved"] else t["progress"]
        lines.append(
            f"  {t['team']:<16} {presence(t)}  hyp {t['hypotheses']:>2}  "
            f"pins {t['pins']:>2}  hints {t['hints']}  wrong {t['wrong_diagnoses']}  {ttcd}"
        )
    if st.get("rank"):
        lines.append("  ranking: " + ", ".join(st["rank"]))
    return "\n".join(lines)
