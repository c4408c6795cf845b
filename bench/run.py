"""Benchmark the app against a bare Flask-SocketIO server under the same load, in one run.

    npm install --prefix bench            # once: the Node Socket.IO client
    .venv/bin/python -m bench.run         # every scenario; --scenario NAME for one

Each socket scenario runs the bare server, then the app, both under the Procfile's
gunicorn command (one gevent worker), with the Node load generator (bench/loadgen.mjs) in
its own process. The app runs in production mode on SQLite with flood control off (the
senders are scripted). Results are printed as Markdown and kept as JSON in build/bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.seed import ORGANISER_EMAIL, PASSWORD, Seeded, seed
from bench.servers import ROOT, Server, cpu_seconds, rss_bytes

BENCH = ROOT / "bench"


@dataclass(frozen=True)
class Scenario:
    """A load: members joining over a window, then `rate` messages/s from `senders`."""

    clients: int
    join_window_s: float
    senders: int = 0
    rate: float = 0
    duration_s: float = 0
    settle_s: float = 30
    idle_s: float = 5  # held idle after everyone joined, while idle memory is read


SCENARIOS = {
    "steady": Scenario(clients=1000, join_window_s=20, senders=10, rate=20, duration_s=30),
    "burst": Scenario(clients=2000, join_window_s=30, senders=20, rate=50, duration_s=10),
    "storm": Scenario(clients=2000, join_window_s=10),
}
TRANSCRIPT_MESSAGES = 10_000
EXPORTS = [
    *(f"/sessions/{{id}}/transcript.{fmt}" for fmt in ("md", "html", "json", "csv")),
    *(f"/organise/sessions/{{id}}/transcript-anonymised.{fmt}" for fmt in ("md", "json", "csv")),
]


def app_environment(database_url: str) -> dict[str, str]:
    """Production settings, with flood control off for scripted senders."""
    return {
        "CHAT_ENV": "production",
        "SECRET_KEY": "bench-secret",
        "DATABASE_URL": database_url,
        "CHAT_MESSAGE_LIMIT": "0",
        "CHAT_REPEAT_SECONDS": "0",
    }


def load(server: Server, scenario: Scenario, seeded: Seeded, work: Path) -> dict[str, Any]:
    """Run the load generator against `server`; add the worker's CPU and memory."""
    plan = {
        **asdict(scenario),
        "url": server.url,
        "session_id": seeded.live_session_id,
        "tokens": seeded.tokens[: scenario.clients],
    }
    plan_file = work / "plan.json"
    plan_file.write_text(json.dumps(plan))
    worker = server.worker
    idle_rss = server.peak_rss = 0
    server.sample_memory()
    idle_rss = server.peak_rss
    cpu_before, started = cpu_seconds(worker), time.monotonic()
    generator = subprocess.Popen(
        ["node", str(BENCH / "loadgen.mjs"), str(plan_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    joined_rss: list[int] = []
    reader = threading.Thread(
        target=read_idle_memory, args=(generator, worker, scenario.idle_s, joined_rss)
    )
    reader.start()
    _, status, usage = os.wait4(generator.pid, 0)
    reader.join()
    generator.returncode = os.waitstatus_to_exitcode(status)
    output = generator.stdout.read() if generator.stdout else ""
    wall = time.monotonic() - started
    server.stop_sampling()
    if generator.returncode != 0:
        raise RuntimeError(f"load generator failed for {server.name}")
    result: dict[str, Any] = json.loads(output)
    cpu = cpu_seconds(worker) - cpu_before
    result["server_cpu_percent"] = 100 * cpu / wall
    result["cpu_ms_per_client"] = 1000 * cpu / scenario.clients
    result["loadgen_cpu_percent"] = 100 * (usage.ru_utime + usage.ru_stime) / wall
    result["kb_per_client"] = (server.peak_rss - idle_rss) / 1024 / scenario.clients
    if joined_rss:
        result["idle_kb_per_client"] = (joined_rss[0] - idle_rss) / 1024 / scenario.clients
    return result


def read_idle_memory(
    generator: subprocess.Popen[str], worker: int, hold_s: float, into: list[int]
) -> None:
    """Once the load generator says everyone joined, let the worker settle for half the
    idle hold, then read its resident memory: what connected, quiet members cost. Other
    lines the generator writes to stderr are passed on."""
    assert generator.stderr is not None
    for line in generator.stderr:
        if line.strip() != "joined":
            sys.stderr.write(line)
        elif not into:
            time.sleep(hold_s / 2)
            into.append(rss_bytes(worker))


def run_scenario(name: str, scenario: Scenario, seeded: Seeded, work: Path, database: Path):
    """The bare server, then the app, under the same load; return both results."""
    results = {}
    bare = Server("bare", "bare_server:app", BENCH, {}, work / f"{name}-bare.log")
    copy = work / f"{name}.db"
    shutil.copy(database, copy)
    app = Server("app", "app:app", ROOT, app_environment(f"sqlite:///{copy}"), work / f"{name}.log")
    for server in (bare, app):
        server.start()
        try:
            results[server.name] = load(server, scenario, seeded, work)
        finally:
            server.stop()
    return results


def export_times(database: Path, seeded: Seeded) -> dict[str, float]:
    """Median seconds to download each export of the long transcript (in process)."""
    from chat import create_app

    app = create_app(
        {**app_environment(f"sqlite:///{database}"), "WTF_CSRF_ENABLED": False, "TESTING": True}
    )
    client = app.test_client()
    signed_in = client.post("/login", data={"email": ORGANISER_EMAIL, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    times = {}
    for path in EXPORTS:
        url = path.format(id=seeded.ended_session_id)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url)
            runs.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        times[url.rsplit("/", 1)[1]] = statistics.median(runs)
    return times


def ratio(app: float | None, bare: float | None) -> str:
    return f"{app / bare:.2f}" if app and bare else "n/a"


FIGURES = [
    ("delivered/s", lambda r: r.get("delivered_per_s")),
    ("latency p50 ms", lambda r: (r.get("latency_ms") or {}).get("p50")),
    ("latency p95 ms", lambda r: (r.get("latency_ms") or {}).get("p95")),
    ("latency p99 ms", lambda r: (r.get("latency_ms") or {}).get("p99")),
    ("join p50 ms", lambda r: r["join_ms"]["p50"]),
    ("join p99 ms", lambda r: r["join_ms"]["p99"]),
    ("server CPU %", lambda r: r["server_cpu_percent"]),
    ("server CPU ms per member", lambda r: r.get("cpu_ms_per_client")),
    ("KB per member, idle", lambda r: r.get("idle_kb_per_client")),
    ("KB per member, peak", lambda r: r["kb_per_client"]),
]


def report(name: str, results: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of one scenario: bare, app and app/bare for each figure."""
    app, bare = results["app"], results["bare"]
    lines = [f"### {name}", "", "| figure | bare | app | app/bare |", "| --- | --- | --- | --- |"]
    for label, pick in FIGURES:
        a, b = pick(app), pick(bare)
        if a is None and b is None:
            continue
        lines.append(f"| {label} | {b:,.1f} | {a:,.1f} | {ratio(a, b)} |")
    for key in ("ready", "lost", "duplicates", "join_errors", "ack_errors", "loadgen_cpu_percent"):
        if key in app:
            lines.append(f"| {key.replace('_', ' ')} | {bare.get(key)} | {app.get(key)} | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "transcript", "all"], default="all")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply member counts")
    args = parser.parse_args()
    names = [*SCENARIOS, "transcript"] if args.scenario == "all" else [args.scenario]
    scenarios = {
        name: Scenario(**{**asdict(s), "clients": max(1, round(s.clients * args.scale))})
        for name, s in SCENARIOS.items()
    }
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="traineetalk-bench-") as tmp:
        work = Path(tmp)
        database = work / "seed.db"
        members = max(s.clients for s in scenarios.values())
        seeded = seed(f"sqlite:///{database}", members, TRANSCRIPT_MESSAGES)
        results: dict[str, Any] = {}
        for name in names:
            if name == "transcript":
                results[name] = export_times(database, seeded)
                lines = ["### transcript (10,000 messages)", "", "| export | seconds |"]
                lines += ["| --- | --- |"]
                lines += [f"| {k} | {v:.3f} |" for k, v in results[name].items()]
                print("\n".join(lines) + "\n", flush=True)
                continue
            results[name] = run_scenario(name, scenarios[name], seeded, work, database)
            print(report(name, results[name]), flush=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (out / f"results-{stamp}.json").write_text(json.dumps(results, indent=2))
        for log in work.glob("*.log"):
            shutil.copy(log, out / log.name)


if __name__ == "__main__":
    main()
