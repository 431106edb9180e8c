#!/usr/bin/env python3
"""Development only: how reliably a timed speed check grades an exercise's starter and solution.

Runs `quantlab exercise run EXERCISE --fresh` on the exercise's starter and solution RUNS times
each, on an idle machine and/or while another process keeps the second core busy (a loop of
`quantlab bench block --threads 1`, which streams a 7B-shaped block through memory, as the
issue's "busy" condition asks), and prints per condition and settings file: how often the
exercise passed, the speed check's verdicts (pass / fail / inconclusive), the distribution of
the timed speed-up (the geometric mean of the pairs, the interval's centre) and of its 95%
interval, and the distance of the target from the mean speed-up in standard deviations.

    swift build -c release
    python3 scripts/dev/speed-grade-stats.py --runs 50                     # idle, then busy
    python3 scripts/dev/speed-grade-stats.py --runs 10 --mode busy --json out.json

Every run is a fresh timing (the measurement cache is bypassed); the base model's
log-probabilities are cached in a scratch folder so the evaluation part stays short. Takes
about 10 s per run on the development machine. Nothing here runs in CI.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def run_once(binary, exercise, role, env):
    settings = os.path.join(ROOT, "exercises", exercise, f"{role}.toml")
    result = subprocess.run([binary, "exercise", "run", exercise, "--settings", settings, "--fresh", "--no-record", "--json",
                             "--course", ROOT], capture_output=True, text=True, env=env)
    if result.returncode not in (0, 1):
        sys.exit(f"speed-grade-stats: quantlab failed ({result.returncode}): {result.stderr.strip()}")
    report = json.loads(result.stdout)
    timed = [line for line in report["grade"]["lines"] if line["metric"] == "decode_speedup"]
    if not timed:
        sys.exit(f"speed-grade-stats: {exercise} does not grade decode_speedup")
    line = timed[0]
    verdict = "inconclusive" if line.get("inconclusive") else ("pass" if line["passed"] else "fail")
    return {"passed": report["passed"], "verdict": verdict, "speedup": line["value"], "lower": line["lower"],
            "upper": line["upper"], "target": line["target"], "pairs": report["measurement"]["speed"]["comparison"]["pairs"]}


def summarise(condition, role, runs, expect_pass):
    speedups = [r["speedup"] for r in runs]
    target = runs[0]["target"]
    mean, sd = statistics.mean(speedups), statistics.stdev(speedups) if len(speedups) > 1 else 0.0
    margin = (mean - target) / sd if sd > 0 else float("inf")
    verdicts = {v: sum(1 for r in runs if r["verdict"] == v) for v in ("pass", "fail", "inconclusive")}
    correct = sum(1 for r in runs if r["passed"] == expect_pass)
    print(f"{condition:5} {role:8} {correct}/{len(runs)} graded as expected ({'pass' if expect_pass else 'fail'}); "
          f"speed check: {verdicts['pass']} pass, {verdicts['fail']} fail, {verdicts['inconclusive']} inconclusive")
    print(f"      graded speed-up (geometric mean of the pairs): mean {mean:.3f}, sd {sd:.3f}, min {min(speedups):.3f}, max {max(speedups):.3f}; "
          f"95% intervals from {min(r['lower'] for r in runs):.3f} to {max(r['upper'] for r in runs):.3f}; "
          f"pairs {min(r['pairs'] for r in runs)}-{max(r['pairs'] for r in runs)}")
    print(f"      target {target:.2f}: {abs(margin):.1f} sd {'above' if margin > 0 else 'below'} the target "
          f"(distance from the mean speed-up {abs(target - mean) / mean * 100:.0f}%)")
    return {"condition": condition, "role": role, "runs": runs, "as_expected": correct, "verdicts": verdicts,
            "mean": mean, "sd": sd, "margin_sd": margin}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--mode", choices=("idle", "busy", "both"), default="both")
    parser.add_argument("--exercise", default="06-gguf-measured-speed")
    parser.add_argument("--quantlab", default=os.path.join(ROOT, ".build", "release", "quantlab"))
    parser.add_argument("--json", help="write every run's figures here")
    args = parser.parse_args()
    binary = os.path.abspath(args.quantlab)
    conditions = ["idle", "busy"] if args.mode == "both" else [args.mode]
    summaries = []
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, QUANTLAB_CACHE=os.path.join(scratch, "cache"), QUANTLAB_HOME=os.path.join(scratch, "home"))
        run_once(binary, args.exercise, "starter", env)  # warms the base log-probabilities cache
        for condition in conditions:
            busy = None
            if condition == "busy":
                busy = subprocess.Popen(["bash", "-c", f"while true; do '{binary}' bench block --threads 1 >/dev/null; done"],
                                        start_new_session=True)
                time.sleep(5)  # let it build its first blocks and start streaming
            try:
                results = {"starter": [], "solution": []}
                for i in range(args.runs):
                    for role in ("starter", "solution"):
                        results[role].append(run_once(binary, args.exercise, role, env))
                    print(f"\r{condition}: {i + 1}/{args.runs}", end="", file=sys.stderr, flush=True)
                print(file=sys.stderr)
            finally:
                if busy:
                    os.killpg(busy.pid, signal.SIGTERM)
                    busy.wait()
            summaries.append(summarise(condition, "starter", results["starter"], False))
            summaries.append(summarise(condition, "solution", results["solution"], True))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summaries, f, indent=1)
    sys.exit(0 if all(s["as_expected"] == len(s["runs"]) for s in summaries) else 1)


if __name__ == "__main__":
    main()
