"""Cold start and warm latency of two Lambda functions doing the same job under AWS's Runtime
Interface Emulator, producing to the same Kafka broker:

- clicktrail: `clicktrail lambda` from the file tree deploy/lambda/assemble.sh lays out (the
  container image's), started by its bootstrap;
- python: bench/lambda/python_function/handler.py on awslambdaric and confluent-kafka, installed
  with `pip install --target` as a deployment package is (cached under ~/.cache/clicktrail).

Each round starts a fresh emulator for each function, in alternating order, and measures:
- init: the emulator's own figure, "INIT REPORT(durationMs: …)": from starting the runtime
  process until it asks for its first invocation (Lambda's "Init Duration");
- cold start: the first invocation, seen by the caller, from the request until the answer, which
  includes starting the process, init and the invocation itself;
- warm: the next invocations' latencies, one at a time, each a one-event POST answered 204 only
  once the broker has the event.
Reported: medians over rounds, p50/p99 of warm latencies, and the ratios python ÷ clicktrail.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from lambda_harness import Function, assemble, proxy_event  # noqa: E402

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "clicktrail"
INIT_TARGET_MS = 20
COLD_RATIO_TARGET = 10


def python_tree(out: Path) -> list[str]:
    """The Python function's task folder (packages cached by their requirements' hash) and the
    command that starts its runtime."""
    req = HERE / "python_function" / "requirements.txt"
    digest = hashlib.sha256(req.read_bytes() + sys.version.encode()).hexdigest()[:16]
    packages = CACHE / f"bench-lambda-python-{digest}"
    if not packages.exists():
        tmp = packages.with_suffix(".tmp")
        subprocess.run(["rm", "-rf", str(tmp)], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--target", str(tmp), "-r", str(req)], check=True)
        tmp.rename(packages)
    task = out / "task"
    task.mkdir(parents=True)
    (task / "handler.py").write_text((HERE / "python_function" / "handler.py").read_text())
    os.environ["PYTHONPATH"] = f"{task}:{packages}"
    return [sys.executable, "-m", "awslambdaric", "handler.handle"]


def event() -> dict:
    body = json.dumps({"type": "page_view", "anonymous_id": uuid.uuid4().hex,
                       "page_url": "https://me.github.io/posts/1"}).encode()
    return proxy_event("2.0", "POST", "/v1/events?site=blog", body,
                       {"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://me.github.io",
                        "User-Agent": "Mozilla/5.0 (bench)"}, False)


def measure(name: str, command: list[str], cwd: Path, env: dict[str, str], warm: int, logs: Path) -> dict:
    fn = Function(command, cwd, env, logs / f"{name}-{uuid.uuid4().hex[:6]}.log")
    try:
        cold_s, raw = fn.invoke(event())
        if json.loads(raw).get("statusCode") != 204:
            raise SystemExit(f"{name}: the cold invocation did not answer 204: {raw[:300]!r}\n{fn.log()[-3000:]}")
        latencies = []
        for _ in range(warm):
            s, raw = fn.invoke(event())
            if json.loads(raw).get("statusCode") != 204:
                raise SystemExit(f"{name}: a warm invocation did not answer 204: {raw[:300]!r}")
            latencies.append(s * 1000)
        init = fn.init_ms()
        if init is None:
            raise SystemExit(f"{name}: no INIT REPORT in the emulator's log:\n{fn.log()[-3000:]}")
        return {"init_ms": init, "cold_ms": cold_s * 1000, "warm_ms": latencies}
    finally:
        fn.stop()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10, help="cold starts per function (default 10)")
    ap.add_argument("--warm", type=int, default=200, help="warm invocations per round (default 200)")
    args = ap.parse_args()

    bootstrap = os.environ["KAFKA_BOOTSTRAP"]
    topic = f"bench-lambda-{uuid.uuid4().hex[:8]}"
    # The topic exists before anything is timed: creating it on first use costs a second.
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic], input=b"warm-up\n", check=True, timeout=60)
    env = {"CLICKTRAIL_KAFKA_BROKERS": bootstrap, "CLICKTRAIL_KAFKA_TOPIC": topic,
           "CLICKTRAIL_KAFKA_BAD_TOPIC": topic + "-bad", "CLICKTRAIL_SITES": "blog=https://me.github.io",
           "CLICKTRAIL_LOG_LEVEL": "warn"}

    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
        tmp = Path(tmp)
        ours = assemble(os.environ["CLICKTRAIL_BIN"], tmp / "clicktrail")
        theirs = python_tree(tmp / "python")
        runs = {
            "clicktrail": ([str(ours)], ours.parent.parent / "task"),
            "python": (theirs, tmp / "python" / "task"),
        }
        results: dict[str, list[dict]] = {name: [] for name in runs}
        for r in range(args.rounds):
            for name in (list(runs) if r % 2 == 0 else list(reversed(runs))):
                command, cwd = runs[name]
                results[name].append(measure(name, command, cwd, env, args.warm, tmp))
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{n} init {results[n][-1]['init_ms']:.1f} ms cold {results[n][-1]['cold_ms']:.1f} ms" for n in runs),
                flush=True)

    summary = {}
    for name, rounds in results.items():
        warm = [x for r in rounds for x in r["warm_ms"]]
        summary[name] = {
            "init_ms_median": statistics.median(r["init_ms"] for r in rounds),
            "init_ms_max": max(r["init_ms"] for r in rounds),
            "cold_ms_median": statistics.median(r["cold_ms"] for r in rounds),
            "warm_ms_p50": pct(warm, 0.5), "warm_ms_p99": pct(warm, 0.99),
        }
    ours, theirs = summary["clicktrail"], summary["python"]
    ratios = {
        "init": theirs["init_ms_median"] / ours["init_ms_median"],
        "cold_start": theirs["cold_ms_median"] / ours["cold_ms_median"],
        "warm_p50": theirs["warm_ms_p50"] / ours["warm_ms_p50"],
        "warm_p99": theirs["warm_ms_p99"] / ours["warm_ms_p99"],
    }
    print()
    print(f"{'':12} {'init p50':>10} {'init max':>10} {'cold p50':>10} {'warm p50':>10} {'warm p99':>10}   (ms)")
    for name, s in summary.items():
        print(f"{name:12} {s['init_ms_median']:10.1f} {s['init_ms_max']:10.1f} {s['cold_ms_median']:10.1f} "
              f"{s['warm_ms_p50']:10.2f} {s['warm_ms_p99']:10.2f}")
    print(f"{'python ÷ us':12} {ratios['init']:9.1f}x {'':10} {ratios['cold_start']:9.1f}x "
          f"{ratios['warm_p50']:9.1f}x {ratios['warm_p99']:9.1f}x")
    print()
    print(f"target init ≤ {INIT_TARGET_MS} ms (median): "
          f"{'pass' if ours['init_ms_median'] <= INIT_TARGET_MS else 'MISS'} ({ours['init_ms_median']:.1f} ms)")
    print(f"target cold start ≥ {COLD_RATIO_TARGET}x shorter than python: "
          f"{'pass' if ratios['cold_start'] >= COLD_RATIO_TARGET else 'MISS'} ({ratios['cold_start']:.1f}x)")
    out = ROOT / "build" / "bench" / "lambda.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "ratios": ratios, "rounds": args.rounds, "warm": args.warm}, indent=2))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
