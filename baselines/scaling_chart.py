"""Draw fit time against rows for the scaling series, lunchbench beside its peers.

Reads the same inputs as ratios.py and writes a PNG (default baselines/results/scaling.png).
Needs matplotlib.
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ratios import PEERS, criterion_median  # noqa: E402

SCALED_MODELS = ("ridge", "pls", "dense-nn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion", type=Path, default=Path("target/criterion"))
    parser.add_argument("--peers", type=Path, default=Path("baselines/results/timings.json"))
    parser.add_argument("--out", type=Path, default=Path("baselines/results/scaling.png"))
    args = parser.parse_args()

    peers = json.loads(args.peers.read_text())
    figure, axes = plt.subplots(1, 2, figsize=(14, 6), sharey=True)
    for axis, n_predictors in zip(axes, (100, 1000)):
        cases = [c for c in peers["scaling"] if c["n_predictors"] == n_predictors]
        rows = [c["rows"] for c in cases]
        for index, model in enumerate(SCALED_MODELS):
            colour = f"C{index}"
            ours = [criterion_median(args.criterion, "scaling_fit", model, f"{r}x{n_predictors}") for r in rows]
            theirs = [c["models"].get(PEERS[model], {}).get("fit_seconds") for c in cases]
            axis.plot(rows, ours, "o-", color=colour, label=f"lunchbench {model}")
            axis.plot(rows, theirs, "s--", color=colour, label=f"{PEERS[model]} (scikit-learn or Keras)")
        reference = [rows[0], rows[-1]]
        axis.plot(reference, [1e-3, 1e-3 * rows[-1] / rows[0]], ":", color="grey", label="linear in rows")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(f"{n_predictors} predictors, 3 targets")
        axis.set_xlabel("training rows")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("median fit time (s)")
    axes[1].legend(fontsize=8, loc="upper left")
    figure.suptitle("Fit time against rows: lunchbench (solid) and peers (dashed)")
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
