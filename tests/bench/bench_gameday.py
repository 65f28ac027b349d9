"""Game day benchmark: 50 teams x 3 members playing one game, on SQLite and on PostgreSQL.

    python tests/bench/bench_gameday.py [--teams 50] [--members 3] [--seconds 40] [--procs N]
                                        [--only sqlite|postgresql] [--profile]

Each member is a headless client (a TeamSession, as `dojo play --headless --join` drives) doing
what people do: about one query a second, a hypothesis or a pin every 30 s (the first at a random
moment), and near the end one member per team diagnoses (a third of the teams wrongly first).

How members map to processes. In real life each member runs `dojo join` on a machine of their
own; here all of them, and the server, share one machine. By default (--procs 5) the members are
threads of 5 client processes, 30 to a process, sharing a pool of connections (a member holds one
for the length of its statement); --procs 0 gives every member a process of its own with its own
connections (the action's and the LISTEN's), as in real life. Both are forked after one synthesis
(the signals' pages shared, copy on write). Neither is what a member sees: threads add a wait for
their process's GIL, which no real member has; a process each puts 150 processes and 300 server
connections on the bench machine's cores, which real members spread over 150 machines. Measured
on the same loaded 2-core machine, one run after the other, the second costs more than the first:
client CPU per action 4.3-4.5 ms against 4.8-5.0, server CPU 0.8 against 1.7-1.9 ms, and a bare
statement's median 4-6 ms against 86-124 ms; so the default is threads, and the floor below
(a bare statement from the same clients) says how much of any action is the harness and the
machine. Members join before the clock starts and their first actions are spread over a second;
only actions after the start are timed, from the member's call to its return (engine work, the
statement, folding the news in): a pin without the search that found its line, each diagnosis
on its own.
Halfway through, the facilitator pauses the game and resumes it 3 s later; a facilitator's
console refreshes every second throughout.

Figures, per database:
  events      written by clients (acknowledged) and found in the store afterwards; lost = the difference
  latency     p50 / p99 of a member's action (query, hypothesis, pin, diagnosis: engine work,
              the append and the re-read of the team's stream), overall and of the writes alone
  floor       p50 / p99 of one bare statement (the server's clock) from the same clients in the same
              run: what the machine's load alone costs any action, the baseline for the ratio
  pause       from the pause's commit to the last client that saw the game paused
  cpu         CPU time per action of the client processes (their members' actions, floors and
              listening, not joining) and of the PostgreSQL server (all its backends): what the
              machine's other work does not change, so the figure to compare across runs
  console     one refresh of the facilitator's status with every team (incremental), and the
              console's own refreshes during play (one a second, as the console does: a
              PostgreSQL refresh waits for team appends in flight), and a full fold from nothing
              (a restarted console)
  --profile   where an action's time goes: each SQL statement's round trip as the clients timed it
              (p50/p99/calls, and the share of action time spent waiting on the database), and on
              PostgreSQL the server's own time per statement (pg_stat_statements, nested included)
              and every lock wait over 10 ms (the server's log)
Budgets (issue 13): 0 lost; action p99 <= 100 ms on SQLite, <= 50 ms on PostgreSQL; pause <= 2 s.
PostgreSQL is a throwaway server from the machine's binaries (see tests/gameday/pg.py), on the
same cores as the clients. On a shared machine read the floor: the action/floor ratio is what
compares across runs.
Exit status 1 if a budget is missed.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

SCENARIO = "checkout-retry-storm"
TERMS = ["retrying", "timeout", "503", "payments", "error", "slow", "pool", "inventory"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def client(store, s, name, seconds, t0, out, wrong_first, diagnoser, timing=None):
    rng = random.Random(hash(name))
    time.sleep(rng.uniform(0.0, 1.0))  # people do not all click in the same instant
    lat: list[tuple[str, float]] = []
    acked = 1  # 'joined'
    seen_pause = None
    next_journal = time.monotonic() + rng.uniform(2, 30)
    end = t0 + seconds
    diagnosed = False
    while time.monotonic() < end:
        started = time.monotonic()
        if timing is not None:
            timing.db = 0.0
        kind = "query"
        try:
            if time.monotonic() >= next_journal:
                next_journal += 30
                if s.journal.hypotheses and rng.random() < 0.5:
                    # The line a member pins is one already on their screen: finding it is not the pin.
                    lines = s.logs(contains=rng.choice(TERMS), limit=1, record=False).lines
                    started = time.monotonic()
                    if lines:
                        kind = "pin"
                        s.pin(lines[0].id, None, "looks relevant")
                    else:
                        kind = "hypothesis"
                        s.add_hypothesis(f"{name}: idea {rng.randint(1, 999)}")
                else:
                    kind = "hypothesis"
                    s.add_hypothesis(f"{name}: idea {rng.randint(1, 999)}", rng.choice(["checkout", "payments"]))
                acked += 1
            elif diagnoser and not diagnosed and time.monotonic() > end - 5:
                kind = "diagnosis"
                if wrong_first:  # two submissions, each its own action
                    s.diagnose("payments", "dependency_latency", "payments looked slow")
                    acked += 1
                    lat.append((kind, time.monotonic() - started))
                    started = time.monotonic()
                s.diagnose("checkout", "retry_storm", "retries multiplied the load")
                acked += 1
                diagnosed = True
            else:
                s.logs(contains=rng.choice(TERMS), limit=20)
                acked += 1
        except Exception as exc:  # an over attempt (solved) refuses journal writes: not a loss
            if "over" not in str(exc) and "already pinned" not in str(exc) and "at most" not in str(exc):
                out.append(("error", name, str(exc)))
        lat.append((kind, time.monotonic() - started))
        if timing is not None:
            out.append(("db", kind, time.monotonic() - started, timing.db))
        if rng.random() < 0.2:
            # The floor under every action, in the same run: one bare statement through the same
            # pool, threads and machine load. Action latency minus this is the game's own cost.
            probe = time.monotonic()
            store.server_now()
            lat.append(("floor", time.monotonic() - probe))
        if seen_pause is None and s.phase() == "paused":
            seen_pause = s.clock.server()  # on the server's clock: against the pause's commit afterwards
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)) * rng.uniform(0.8, 1.2))
    # The clock after the pause and resume: what this member's game time says against the server's.
    s.sync()
    mine = s.clock.state.running_s(s.clock.server())
    truth = store.server_now()
    out.append(("client", name, acked, lat, seen_pause, (s.clock.state.paused_s, mine, truth)))


def instrument(engine, out):
    """Time every statement's round trip on this engine (client side): per statement text and, per
    thread, the sum for the action under way."""
    from sqlalchemy import event

    timing = threading.local()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("t", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        took = time.perf_counter() - conn.info["t"].pop()
        out.append(("stmt", " ".join(statement.split())[:90], took))
        timing.db = getattr(timing, "db", 0.0) + took

    return timing


def process_main(url, clients, signals, seconds, t0_wall, result_q, profile=False):
    """One client process: its members (one, by default) as threads, each with its own store
    connection, sharing the signals synthesized once before the fork."""
    from dojo.gameday.team import TeamSession
    from dojo.store.games import GameStore

    # Members as threads share a pool (each holds a connection only for its statement); a member
    # alone in its process has its own. PostgreSQL allows what the bench's server is given.
    store = GameStore(url, pool_size=min(len(clients), 12))
    out: list = []
    # Members join before the clock starts, as they do at a game day (join is not an action).
    sessions = [(TeamSession.join(store, code, f"t{n}m{m}", signals=signals), n, m) for n, code, m in clients]
    timing = instrument(store.engine, out) if profile else None
    if len(sessions) > 1:
        sys.setswitchinterval(0.001)  # members as threads: hand the GIL to a waiting one sooner
    # Every process starts at the same wall instant, after everyone has joined.
    time.sleep(max(0.0, t0_wall - time.time()))
    t0 = time.monotonic()
    cpu0 = cpu_s()
    threads = []
    for s, number, m in sessions:
        name = f"t{number}m{m}"
        th = threading.Thread(target=client, args=(store, s, name, seconds, t0, out, number % 3 == 0, m == 0, timing))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    out.append(("cpu", cpu_s() - cpu0))  # the members' actions, floors and listening: not joining
    store.close()
    result_q.put(out)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return r.ru_utime + r.ru_stime


def server_cpu_s(pid_file: Path | None) -> float:
    """CPU the PostgreSQL server has used in its finished backends (the postmaster's reaped
    children: every client's connection, once closed), in seconds."""
    if pid_file is None:
        return 0.0
    pid = pid_file.read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime + cstime


def run(
    url: str, label: str, teams: int, members: int, seconds: float, procs: int, profile: bool = False,
    pid_file: Path | None = None,
) -> dict:  # fmt: skip
    from dojo.engine.queries import Signals
    from dojo.gameday.game import Facilitator, create_game
    from dojo.gameday.team import load_game_scenario
    from dojo.scenario import load_scenario, resolve_scenario
    from dojo.store.games import GameStore
    from dojo.telemetry.synthesize import synthesize

    path = resolve_scenario(SCENARIO)
    with GameStore(url) as setup:
        created = create_game(setup, load_scenario(path), path.read_text(), [f"team-{i:02d}" for i in range(teams)],
                              speed=10.0)  # fmt: skip
        Facilitator(setup, created.game_id, created.key).start()
        game, _, _, _ = setup.team_view(created.teams[0][1])
    # Synthesized once, before the fork: every client process shares these pages (copy on write).
    sc = load_game_scenario(game.settings, game.id)
    signals = Signals(synthesize(sc, seed=int(game.settings["seed"])))
    clients = [(number, code, m) for number, (_, code) in enumerate(created.teams, start=1) for m in range(members)]
    procs = procs or len(clients)
    ctx = mp.get_context("fork")
    server0 = server_cpu_s(pid_file)
    result_q = ctx.Queue()
    t0_wall = time.time() + 5.0 + 0.05 * len(clients)  # time for every member to connect and join
    gc.freeze()  # the forked clients' garbage collector leaves the shared pages alone
    workers = [
        ctx.Process(
            target=process_main, args=(url, clients[i::procs], signals, seconds, t0_wall, result_q, profile)
        )
        for i in range(procs)
    ]  # fmt: skip
    for w in workers:
        w.start()
    gc.unfreeze()
    store = GameStore(url)
    fac = Facilitator(store, created.game_id, created.key)
    # The facilitator's console is open throughout, refreshing every second as it does.
    console = Facilitator(store, created.game_id, created.key)
    console_ms: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        time.sleep(max(0.0, t0_wall - time.time()))
        while not stop.wait(1.0):
            t = time.perf_counter()
            console.status()
            console_ms.append((time.perf_counter() - t) * 1000)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    time.sleep(max(0.0, t0_wall - time.time()) + seconds / 2)
    paused = fac.pause()
    time.sleep(3.0)
    fac.resume()
    results = []
    for _ in workers:
        results += result_q.get()
    for w in workers:
        w.join()
    clients_cpu = sum(r[1] for r in results if r[0] == "cpu")
    stop.set()
    watcher.join()
    assert paused["phase"] == "paused"

    clients = [r for r in results if r[0] == "client"]
    errors = [r for r in results if r[0] == "error"]
    acked = sum(r[2] for r in clients)
    lat_all = [x for r in clients for k, x in r[3] if k != "floor"]
    lat_write = [x for r in clients for k, x in r[3] if k not in ("query", "floor")]
    lat_floor = [x for r in clients for k, x in r[3] if k == "floor"]
    # Events in the store written by members (everything on the team streams but the 'started' and
    # facilitator hints) against what they were told was written.
    view = fac.refresh()
    marks = {g.kind: g.server_t for g in view.game_events}
    span = marks["resumed"] - marks["paused"]
    seen = [None if r[4] is None else r[4] - marks["paused"] for r in clients]
    clocks = [r[5] for r in clients]
    clock_wrong = sum(1 for paused_s, _, _ in clocks if paused_s != span)
    clock_gap = max(abs(mine - (truth - marks["started"] - span)) for _, mine, truth in clocks)
    stored = sum(1 for t in view.teams.values() for g in t.events if g.actor != "system" and g.kind != "left")
    console_ms_live = console_ms
    t = time.perf_counter()
    for _ in range(5):
        fac.status()
    console_ms = (time.perf_counter() - t) / 5 * 1000
    t = time.perf_counter()
    Facilitator(store, created.game_id, created.key).status()
    full_ms = (time.perf_counter() - t) * 1000
    if profile:
        print_profile(label, store, results)
    store.close()
    time.sleep(0.3)  # the postmaster reaps the backends just closed
    server_ms = (server_cpu_s(pid_file) - server0) * 1000 / max(len(lat_all), 1)
    return {
        "db": label, "clients": len(clients), "errors": len(errors), "first_error": errors[0][2] if errors else "",
        "acked": acked, "stored": stored, "lost": acked - stored if acked > stored else 0,
        "actions": len(lat_all), "p50_ms": pct(lat_all, 50) * 1000, "p99_ms": pct(lat_all, 99) * 1000,
        "write_p50_ms": pct(lat_write, 50) * 1000, "write_p99_ms": pct(lat_write, 99) * 1000,
        "floor_p50_ms": pct(lat_floor, 50) * 1000, "floor_p99_ms": pct(lat_floor, 99) * 1000,
        "pause_all_s": max((s for s in seen if s is not None), default=float("nan")),
        "pause_missed": sum(1 for s in seen if s is None),
        "clock_wrong": clock_wrong, "clock_gap_ms": clock_gap * 1000,
        "console_ms": console_ms, "console_full_ms": full_ms,
        "live_p50_ms": pct(console_ms_live, 50), "live_max_ms": max(console_ms_live, default=float("nan")),
        "events_total": view.cursor,
        "client_cpu_ms": clients_cpu * 1000 / max(len(lat_all), 1), "server_cpu_ms": server_ms,
    }  # fmt: skip


def print_profile(label, store, results) -> None:
    stmts: dict[str, list[float]] = {}
    for r in results:
        if r[0] == "stmt":
            stmts.setdefault(r[1], []).append(r[2])
    print(f"\n[{label}] statements as the clients timed them (round trip):")
    for text, xs in sorted(stmts.items(), key=lambda kv: -sum(kv[1]))[:10]:
        print(f"  {len(xs):6d} calls  p50 {pct(xs, 50) * 1000:6.1f} ms  p99 {pct(xs, 99) * 1000:7.1f} ms  {text}")
    shares = [r for r in results if r[0] == "db"]
    for kind in sorted({r[1] for r in shares}):
        xs = [r for r in shares if r[1] == kind]
        rest = [r[2] - r[3] for r in xs]
        db = [r[3] for r in xs]
        print(
            f"  {kind:10s} {len(xs):6d}: database p50 {pct(db, 50) * 1000:.1f} / p99 {pct(db, 99) * 1000:.1f} ms,"
            f" the rest (engine, Python, GIL) p50 {pct(rest, 50) * 1000:.1f} / p99 {pct(rest, 99) * 1000:.1f} ms"
        )
    if store.dialect != "postgresql":
        return
    import sqlalchemy as sa

    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT calls, total_exec_time, mean_exec_time, max_exec_time, query FROM pg_stat_statements "
                "ORDER BY total_exec_time DESC LIMIT 10"
            )
        ).all()
    print(f"[{label}] the server's own time per statement (pg_stat_statements):")
    for r in rows:
        q = " ".join(r.query.split())[:90]
        print(
            f"  {r.calls:6d} calls  total {r.total_exec_time:8.0f} ms  mean {r.mean_exec_time:6.2f}"
            f"  max {r.max_exec_time:7.1f}  {q}"
        )


def print_lock_waits(log: Path, actions: int) -> None:
    """Waits for a lock (the game's append lock above all) that lasted over deadlock_timeout
    (10 ms), from the server's log: how much of the tail the lock's queue accounts for."""
    import re

    waits = [
        float(m.group(1))
        for m in re.finditer(r"acquired \S+ on (?:advisory )?lock.*? after ([\d.]+) ms", log.read_text())
    ]
    waits.sort()
    print(
        f"[postgresql] lock waits over 10 ms: {len(waits)} ({len(waits) / max(actions, 1) * 100:.2f}% of actions)"
        + (f", median {waits[len(waits) // 2]:.0f} ms, longest {waits[-1]:.0f} ms" if waits else "")
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--teams", type=int, default=50)
    ap.add_argument("--members", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--procs", type=int, default=5, help="client processes (0: one per member)")
    ap.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    ap.add_argument("--profile", action="store_true", help="where an action's time goes (statements, server time)")
    a = ap.parse_args()
    rows = []
    load0 = os.getloadavg()  # a shared machine's other work shows in every figure: say how busy it was
    budgets = {"sqlite": 100.0, "postgresql": 50.0}
    if a.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as d:
            url = f"sqlite:///{d}/bench.sqlite3"
            rows.append(run(url, "sqlite", a.teams, a.members, a.seconds, a.procs, a.profile))
    if a.only in (None, "postgresql"):
        sys.path.insert(0, str(HERE.parents[1] / "tests" / "gameday"))
        from pg import PgServer

        # Statement times, and every lock wait over 10 ms in the server's log.
        stats = (
            "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
            " -c log_lock_waits=on -c deadlock_timeout=10ms"
        )
        # A member's process holds two connections (its actions, its LISTEN): 150 members need 300.
        connections = f"-c max_connections={2 * a.teams * a.members + 50}"
        server = PgServer(options=connections + (" " + stats if a.profile else ""))
        try:
            if a.profile:
                from dojo.store.games import GameStore

                with GameStore(server.url) as s, s.engine.begin() as conn:
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            pid_file = server.data / "postmaster.pid"
            rows.append(run(server.url, "postgresql", a.teams, a.members, a.seconds, a.procs, a.profile, pid_file))
            if a.profile:
                print_lock_waits(server.dir / "log", rows[-1]["actions"])
        finally:
            server.close()
    ok = True
    mapping = f"{a.procs} client processes, members as threads" if a.procs else "one client process per member"
    print(f"\n{a.teams} teams x {a.members} members, {a.seconds:g} s, {mapping}")
    print(
        "machine load (1/5/15 min) at the start %.1f %.1f %.1f, at the end %.1f %.1f %.1f\n" % (load0 + os.getloadavg())
    )
    for r in rows:
        print(f"[{r['db']}]")
        print(
            f"  events     acknowledged {r['acked']}, stored {r['stored']}, lost {r['lost']}"
            f"  ({r['events_total']} in the game, {r['errors']} client errors {r['first_error'][:80]})"
        )
        print(
            f"  latency    all {r['actions']} actions: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms;"
            f" writes: p50 {r['write_p50_ms']:.1f} ms, p99 {r['write_p99_ms']:.1f} ms"
            f"  (budget p99 <= {budgets[r['db']]:g} ms)"
        )
        print(
            f"  floor      one bare statement from the same clients: p50 {r['floor_p50_ms']:.1f} ms,"
            f" p99 {r['floor_p99_ms']:.1f} ms (the machine's share of any action; ratio p99 action/floor"
            f" {r['p99_ms'] / max(r['floor_p99_ms'], 1e-9):.1f}x)"
        )
        print(
            f"  pause      every client paused {r['pause_all_s']:.2f} s after the commit"
            f" ({r['pause_missed']} never saw it)  (budget <= 2 s)"
        )
        print(
            f"  clock      after pause/resume: {r['clock_wrong']} of {r['clients']} members leave out other"
            f" than exactly the paused span; game time within {r['clock_gap_ms']:.0f} ms of the server's"
            " (budget: 0 wrong)"
        )
        server_cpu = f", the server {r['server_cpu_ms']:.2f} ms" if r["db"] == "postgresql" else ""
        print(f"  cpu        per action: the clients {r['client_cpu_ms']:.2f} ms{server_cpu} (CPU time, not wall)")
        print(
            f"  console    refresh {r['console_ms']:.1f} ms (during play, every second: p50 {r['live_p50_ms']:.1f},"
            f" longest {r['live_max_ms']:.0f} ms); full fold of the game {r['console_full_ms']:.0f} ms"
        )
        ok &= r["clock_wrong"] == 0
        ok &= r["lost"] == 0 and r["p99_ms"] <= budgets[r["db"]] and r["pause_all_s"] <= 2.0 and not r["pause_missed"]
    print("\nall budgets met" if ok else "\nBUDGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
