#!/usr/bin/env python3
"""Development only: writes a class of RTN submissions for `quantlab grade exercises`,
for measuring batch-grading throughput (README, "Batch grading").

    scripts/make-test-class.py OUT --students 200 --unique 100 [--exercise 02-int4-group-budget]

Student i submits settings combination i % unique, so with 200 students and 100 unique
combinations half of the files duplicate another's settings (comments differ, so the files
differ byte for byte but normalize to the same recipe)."""
import argparse
import itertools
import os

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--students", type=int, default=200)
parser.add_argument("--unique", type=int, default=100)
parser.add_argument("--exercise", default="02-int4-group-budget")
args = parser.parse_args()

# Every RTN combination that fits the reference model's 192- and 512-wide rows.
granularities = [("tensor", None), ("channel", None), ("group", 32), ("group", 64)]
combos = list(itertools.product(range(2, 9), [True, False], granularities, [False, True]))
if args.unique > len(combos):
    raise SystemExit(f"at most {len(combos)} unique RTN settings exist")
for i in range(args.students):
    bits, symmetric, (granularity, group), clip = combos[i % args.unique]
    folder = os.path.join(args.out, f"student{i:04d}")
    os.makedirs(folder, exist_ok=True)
    lines = [f"# student {i}", 'method = "rtn"', f"bits = {bits}", f"symmetric = {str(symmetric).lower()}",
             f'granularity = "{granularity}"']
    if group:
        lines.append(f"group_size = {group}")
    if clip:
        lines.append("clip_search = true")
    with open(os.path.join(folder, f"{args.exercise}.toml"), "w") as f:
        f.write("\n".join(lines) + "\n")
