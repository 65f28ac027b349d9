"""Sanitize benchmark: prints MB/s beside baselines measured in the same run.

    python tests/bench/bench_sanitize.py [--mb 64] [--jobs N]

The first figure is one process (two scanning threads and the replacing one), the default on two
cores; the second is N worker processes, which the default uses only with four or more free cores.

Budget (issue: sanitize): at least 20 MB/s on a realistic log, on 2 cores, and on JSON lines and
CSV versions of the same events. Streaming is shown by memory: the peak RSS of a run over the log
against a run over four copies of it end to end (and the interpreter with the sanitizer imported):
chunks in flight and caches with a limit, so the peak grows far slower than the file. The log mixes nginx
access lines (3,000 client IPs), sshd syslog lines, and application key=value lines carrying a
request UUID (a new one every three or so lines, as a request logs several), user names, e-mails,
private IPs, host names and the odd token, from Faker pools built once. Baselines: a plain
read+write copy of the file, and `grep -c .`, both on the same file in the same run, so a busy
machine shows up in them too.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BUDGET_MB_S = 20.0
STREAM_COPIES = 4
STREAM_GROWTH = 0.25  # MB of peak memory per MB of more input: caches fill up to their limit, then stop


def write_log(path: Path, target_mb: int, seed: int = 7) -> int:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    users = [fake.user_name() for _ in range(400)]
    emails = [fake.email() for _ in range(300)]
    public = [fake.ipv4_public() for _ in range(3000)]
    private = [fake.ipv4_private() for _ in range(300)]
    hosts = [
        f"{rnd.choice(['web', 'api', 'db', 'cache', 'worker'])}-{i:02d}.{fake.domain_word()}.internal"
        for i in range(60)
    ]
    agents = [fake.user_agent() for _ in range(50)]
    paths = ["/api/v1/orders", "/api/v1/cart", "/checkout", "/login", "/static/app.js", "/health"]
    target = target_mb * 1_000_000
    written = 0
    second = 0
    request_id = _uuid(rnd)
    with open(path, "w", encoding="utf-8") as fh:
        lines: list[str] = []
        while written < target:
            lines.clear()
            for i in range(5000):
                second += 1 if i % 40 == 0 else 0
                hh, mm, ss = (second // 3600) % 24, (second // 60) % 60, second % 60
                iso = f"2026-03-10T{hh:02d}:{mm:02d}:{ss:02d}.{rnd.randrange(1000):03d}Z"
                k = rnd.random()
                if k < 0.35:
                    line = (
                        f'{rnd.choice(public)} - - [10/Mar/2026:{hh:02d}:{mm:02d}:{ss:02d} +0000] "GET '
                        f"{rnd.choice(paths)}"
                        f'?page={rnd.randrange(50)} HTTP/1.1" {rnd.choice((200, 200, 200, 304, 404, 502))} '
                        f'{rnd.randrange(200, 90000)} "-" "{rnd.choice(agents)}"'
                    )
                elif k < 0.5:
                    host = rnd.choice(hosts).split(".")[0]
                    line = (
                        f"Mar 10 {hh:02d}:{mm:02d}:{ss:02d} {host} sshd[{rnd.randrange(1000, 30000)}]: "
                        f"Failed password for invalid user {rnd.choice(users)} from {rnd.choice(public)} port "
                        f"{rnd.randrange(1024, 65535)} ssh2"
                    )
                elif k < 0.9:
                    # A request logs several lines under one id: a new id every few lines.
                    if rnd.random() < 0.3:
                        request_id = _uuid(rnd)
                    line = (
                        f"{iso} INFO  checkout request_id={request_id} "
                        f"user={rnd.choice(users)} client={rnd.choice(private)} host={rnd.choice(hosts)} "
                        f"latency_ms={rnd.randrange(1, 900)} status=200"
                    )
                elif k < 0.98:
                    line = (
                        f"{iso} WARN  payments retry {rnd.randrange(1, 5)}/5 calling {rnd.choice(hosts)}:8443 for "
                        f"{rnd.choice(emails)} trace_id={rnd.getrandbits(128):032x}"
                    )
                else:
                    line = f"{iso} DEBUG auth issued token={rnd.getrandbits(160):040x} for user {rnd.choice(users)}"
                lines.append(line)
            block = "\n".join(lines) + "\n"
            fh.write(block)
            written += len(block)
    return path.stat().st_size


def write_structured(log: Path, jsonl: Path, csv_path: Path, target_mb: int) -> None:
    """The same events as JSON lines (structured fields; raw lines under "message") and as CSV."""
    import csv
    import json
    import re

    kv = re.compile(r"(\w+)=(\S+)")
    limit = target_mb * 1_000_000
    with (
        open(log, encoding="utf-8") as src,
        open(jsonl, "w", encoding="utf-8") as jl,
        open(csv_path, "w", encoding="utf-8", newline="") as cf,
    ):
        writer = csv.writer(cf)
        writer.writerow(["timestamp", "level", "request_id", "user", "client", "host", "message"])
        for line in src:
            line = line.rstrip("\n")
            if line[:4].isdigit():
                ts, level, rest = line.split(None, 2)
                doc = {"timestamp": ts, "level": level, **dict(kv.findall(rest)), "msg": kv.sub("", rest).strip()}
                writer.writerow(
                    [
                        ts,
                        level,
                        doc.get("request_id", ""),
                        doc.get("user", ""),
                        doc.get("client", ""),
                        doc.get("host", ""),
                        doc["msg"],
                    ]
                )
            else:
                doc = {"message": line, "source": "syslog" if line[:3].isalpha() else "nginx"}
                writer.writerow(["", "", "", "", "", "", line])
            jl.write(json.dumps(doc, separators=(",", ":")) + "\n")
            if jl.tell() >= limit:
                break


# The layouts of the real samples (tests/sanitize/real_samples.py): loghub's OpenSSH, Linux and Mac
# syslogs, OpenStack nova, an HPC job log, Apache errors, Kubernetes pod lines.
REAL_STYLE = (
    "Dec 10 06:55:46 {host} sshd[{pid}]: Invalid user {user} from {ip}",
    "Dec 10 06:55:48 {host} sshd[{pid}]: Failed password for invalid user {user} from {ip} port {port} ssh2",
    "Dec 10 07:07:38 {host} sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
    "tty=ssh ruser= rhost={ip}  user={user}",
    "Dec 10 09:12:35 {host} sshd[{pid}]: Accepted password for {user} from {ip} port {port} ssh2",
    "Dec 10 09:32:20 {host} sshd[{pid}]: Received disconnect from {ip}: 11: Bye Bye [preauth]",
    "Jun 14 15:16:01 {host} sshd(pam_unix)[{pid}]: session opened for user {user} by (uid=0)",
    "Jul  1 09:02:26 {host} Microsoft Word[{pid}]: Unrecognized Accessibility attribute",
    "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-{uuid} {hex} {hex2} - - -] {ip} "
    '"GET /v2/{hex2}/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
    "2026-03-10T14:03:12Z pod {pod} restarted on node ip-{ipd}",
    "[Sun Dec 04 04:47:44 2005] [error] [client {ip}] Directory index forbidden by rule: /var/www/html/",
    "2005-11-09 12:01:02 node-017 slurmd[{pid}]: job 4711: open /g/g90/{user}/sim/input.nml: Permission denied",
)
_K8S = "bcdfghjklmnpqrstvwxz2456789"


def write_real_style(path: Path, target_mb: int, seed: int = 11) -> None:
    """A log in the real samples' layouts, with 5,000 IPs, 600 users, 80 hosts and 400 pods."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rnd = random.Random(seed)
    ips = [fake.ipv4_public() if i % 3 else fake.ipv4_private() for i in range(5000)]
    users = [fake.user_name() for _ in range(600)]
    hosts = [f"{fake.domain_word()}-{i}" for i in range(80)]
    hexes = [f"{rnd.getrandbits(128):032x}" for _ in range(200)]
    pods = [
        f"{rnd.choice(['frontend', 'cartservice', 'checkoutservice', 'currencyservice'])}-"
        + "".join(rnd.choice(_K8S) for _ in range(9))
        + "-"
        + "".join(rnd.choice(_K8S) for _ in range(5))
        for _ in range(400)
    ]
    target = target_mb * 1_000_000
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < target:
            lines = []
            for _ in range(2000):
                ip = rnd.choice(ips)
                lines.append(
                    rnd.choice(REAL_STYLE).format(
                        host=rnd.choice(hosts),
                        pid=rnd.randint(100, 65000),
                        user=rnd.choice(users),
                        ip=ip,
                        ipd=ip.replace(".", "-"),
                        port=rnd.randint(1024, 65535),
                        uuid=_uuid(rnd),
                        hex=rnd.choice(hexes),
                        hex2=rnd.choice(hexes),
                        pod=rnd.choice(pods),
                    )
                )
            block = "\n".join(lines) + "\n"
            fh.write(block)
            written += len(block)


def _uuid(rnd: random.Random) -> str:
    h = f"{rnd.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def peak_rss(path: Path | None, out: Path) -> float:
    """Peak resident memory (MB) of a fresh process that sanitizes `path` (or only imports)."""
    # VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the high-water mark of the forked parent
    # from before exec, so every child would report at least this benchmark's own size.
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dojo.sanitize.run import Options, sanitize\n"
        "if sys.argv[1]:\n"
        "    sanitize([Path(sys.argv[1])], Options(out=Path(sys.argv[2]), secret=b'bench', secret_given=True, "
        "jobs=1))\n"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path or ""), str(out)], capture_output=True, text=True, check=True, env=env
    )
    return int(done.stdout.split()[-1]) / 1024  # kB


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=64, help="size of the generated log (MB)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: as dojo sanitize)")
    parser.add_argument("--structured-mb", type=int, default=16, help="size of the JSON lines and CSV files (MB)")
    args = parser.parse_args()

    from dojo.sanitize.run import Options, default_jobs, sanitize

    jobs = args.jobs or max(2, default_jobs())
    default = default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        log = tmpdir / "incident.log"
        t_gen = timed(lambda: write_log(log, args.mb))
        size = log.stat().st_size
        mb = size / 1e6
        print(f"log: {mb:.1f} MB, {sum(1 for _ in open(log, 'rb')):,} lines (generated in {t_gen:.1f} s)")

        t_copy = timed(lambda: shutil.copyfile(log, tmpdir / "copy.log"))
        t_grep = timed(lambda: subprocess.run(["grep", "-c", ".", str(log)], check=True, capture_output=True))

        cpu: dict[int, float] = {}

        def run(j: int) -> float:
            out = tmpdir / f"out{j}"
            opts = Options(out=out, secret=b"bench", secret_given=True, jobs=j)
            c0 = time.process_time()
            wall = timed(lambda: sanitize([log], opts))
            cpu[j] = time.process_time() - c0  # this process only (workers are not its children)
            return wall

        t_one = run(1)
        t_par = run(jobs) if jobs > 1 else t_one
        report = (tmpdir / f"out{jobs}" / "report.json").read_text()

        # Four copies of the log end to end: a long file with the same mix of values.
        long_log = tmpdir / "long.log"
        with open(long_log, "wb") as dst:
            for _ in range(STREAM_COPIES):
                with open(log, "rb") as src:
                    shutil.copyfileobj(src, dst, 16 << 20)
        rss = {
            "imports only": peak_rss(None, tmpdir / "rss0"),
            f"{mb:.0f} MB log": peak_rss(log, tmpdir / "rss1"),
            f"{mb * STREAM_COPIES:.0f} MB log": peak_rss(long_log, tmpdir / "rss2"),
        }
        long_log.unlink()

        real = tmpdir / "real-style.log"
        write_real_style(real, args.mb)
        real_mb = real.stat().st_size / 1e6
        c0 = time.process_time()
        t_real = timed(
            lambda: sanitize([real], Options(out=tmpdir / "out-real", secret=b"b", secret_given=True, jobs=1))
        )
        cpu_real = time.process_time() - c0
        rss_real = peak_rss(real, tmpdir / "rss-real")
        real.unlink()

        jsonl, csv_file = tmpdir / "events.jsonl", tmpdir / "events.csv"
        write_structured(log, jsonl, csv_file, args.structured_mb)
        structured = {}
        for path in (jsonl, csv_file):
            opts = Options(out=tmpdir / f"out-{path.suffix[1:]}", secret=b"bench", secret_given=True, jobs=1)
            seconds = timed(lambda path=path, opts=opts: sanitize([path], opts))
            structured[path.suffix[1:]] = (path.stat().st_size / 1e6, seconds)

    rate = mb / (t_par if default > 1 else t_one)
    print(f"baseline copy (read+write): {mb / t_copy:8.1f} MB/s")
    print(f"baseline grep -c .        : {mb / t_grep:8.1f} MB/s")
    print(f"sanitize, 1 process       : {mb / t_one:8.1f} MB/s  ({t_one:.2f} s; {mb / cpu[1]:.1f} MB per CPU second)")
    print(f"sanitize, {jobs} workers       : {mb / t_par:8.1f} MB/s  ({t_par:.2f} s, {os.cpu_count()} cores seen)")
    load = os.getloadavg()[0]
    print(
        f"load average while measuring: {load:.1f} on {os.cpu_count()} cores (other work slows the wall-clock figures)"
    )
    print(f"default here ({default} job{'s' if default > 1 else ''}): {rate:8.1f} MB/s")
    import json

    replaced = json.loads(report)["replaced"]
    print("replaced: " + ", ".join(f"{k} {v:,}" for k, v in replaced.items()))
    ok = rate >= BUDGET_MB_S
    real_ok = real_mb / t_real >= BUDGET_MB_S
    ok = ok and real_ok
    print(
        f"real-style {real_mb:.1f} MB, 1 process: {real_mb / t_real:8.1f} MB/s"
        f"  ({real_mb / cpu_real:.1f} MB per CPU second, peak RSS {rss_real:.0f} MB)  {'PASS' if real_ok else 'FAIL'}"
    )
    for fmt, (size, secs) in structured.items():
        fmt_ok = size / secs >= BUDGET_MB_S
        ok = ok and fmt_ok
        print(f"{fmt:5s} {size:5.1f} MB, 1 process : {size / secs:8.1f} MB/s  {'PASS' if fmt_ok else 'FAIL'}")
    print("peak RSS, one process: " + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items()))
    values = list(rss.values())
    extra = mb * (STREAM_COPIES - 1)
    growth = values[2] - values[1]
    streams = growth < STREAM_GROWTH * extra
    print(
        f"growth from the log to {STREAM_COPIES} copies of it: {growth:+.0f} MB for {extra:.0f} MB more input"
        f" ({growth / extra:.2f} MB per MB; streaming: under {STREAM_GROWTH}) ... {'PASS' if streams else 'FAIL'}"
    )
    ok = ok and streams
    print(f"budget: >= {BUDGET_MB_S:.0f} MB/s on plain, jsonl and csv, memory flat ... {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
