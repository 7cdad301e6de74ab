"""Prints the authorizer's in-process overhead beyond the crypto floor from criterion's results.

Reads target/criterion/authorizer/<case>/new/estimates.json (written by `cargo bench -p
authorizer`) and prints each case's median next to the bare jsonwebtoken decode + verify.
"""
import json
import os
import sys

ROOT = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion", "authorizer")
FLOOR = "floor_jsonwebtoken_decode"


def median_ns(case):
    path = os.path.join(ROOT, case, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def main():
    if not os.path.isdir(ROOT):
        sys.exit(f"no results in {ROOT}: run `cargo bench -p authorizer` first")
    floor = median_ns(FLOOR)
    cases = sorted(c for c in os.listdir(ROOT) if c != FLOOR and not c.startswith("parse_")
                   and os.path.exists(os.path.join(ROOT, c, "new", "estimates.json")))
    print(f"{'case':32} {'median µs':>10} {'overhead µs':>12} {'x floor':>8}")
    print(f"{FLOOR:32} {floor / 1000:10.2f} {'':>12} {1.0:8.2f}")
    for case in cases:
        m = median_ns(case)
        print(f"{case:32} {m / 1000:10.2f} {(m - floor) / 1000:12.2f} {m / floor:8.2f}")


if __name__ == "__main__":
    main()
