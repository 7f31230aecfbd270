"""Print lunchbench's criterion medians beside the peer timings, with the ratios.

Reads target/criterion/<group>/<model>/new/estimates.json (written by
`cargo bench --bench models`) and baselines/results/timings.json (written by
time_peers.py). Uses only the Python standard library.
"""

import argparse
import json
from pathlib import Path

# lunchbench model name -> the peer timed on the same data and settings.
PEERS = {
    "ridge": "ridge",
    "elastic-net": "elastic-net",
    "pls": "pls",
    "dense-nn": "keras-scaled",
}


def criterion_median(root: Path, *parts: str) -> float | None:
    """Return criterion's median estimate in seconds, or None if the bench did not run."""
    path = root.joinpath(*parts, "new", "estimates.json")
    if not path.is_file():
        return None
    estimates = json.loads(path.read_text())
    return estimates["median"]["point_estimate"] / 1e9


def format_seconds(value: float | None) -> str:
    if value is None:
        return "not run"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} µs"


def rows_for_datasets(criterion: Path, peers: dict) -> list[list[str]]:
    rows = []
    for dataset in ("lab", "tecator"):
        peer_models = peers["real_datasets"][dataset]["models"]
        for ours, theirs in PEERS.items():
            mine = criterion_median(criterion, f"{dataset}_fit", ours)
            peer = peer_models.get(theirs, {}).get("fit_seconds")
            ratio = f"{peer / mine:.1f}×" if mine and peer else ""
            rows.append([f"{dataset} fit", ours, format_seconds(mine), theirs, format_seconds(peer), ratio])
    return rows


def rows_for_scaling(criterion: Path, peers: dict) -> list[list[str]]:
    rows = []
    for case in peers["scaling"]:
        size = f"{case['rows']}x{case['n_predictors']}"
        for ours, theirs in PEERS.items():
            peer = case["models"].get(theirs, {}).get("fit_seconds")
            mine = criterion_median(criterion, "scaling_fit", ours, size)
            if peer is None and mine is None:
                continue
            ratio = f"{peer / mine:.1f}×" if mine and peer else ""
            rows.append([f"scaling {size}", ours, format_seconds(mine), theirs, format_seconds(peer), ratio])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion", type=Path, default=Path("target/criterion"), help="criterion output folder")
    parser.add_argument("--peers", type=Path, default=Path("baselines/results/timings.json"), help="peer timings")
    args = parser.parse_args()

    peers = json.loads(args.peers.read_text())
    header = ["case", "lunchbench", "median", "peer", "peer median", "peer / lunchbench"]
    rows = rows_for_datasets(args.criterion, peers) + rows_for_scaling(args.criterion, peers)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nPeer timings from {args.peers} ({peers['date']}); peer medians are over "
          f"{peers['repeats']['default']} runs, or {peers['repeats']['slow']} for "
          f"{peers['repeats']['slow_cases']}.")


if __name__ == "__main__":
    main()
