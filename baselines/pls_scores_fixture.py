"""Fit scikit-learn's PLSRegression on given predictor and target rows and record its
test predictions, for tests/fixtures/sklearn_pca_scores.json.

The input JSON contains x_train, y_train and x_test as lists of rows. The output keeps them
and adds, for each component count, the test predictions, the power-method iterations
of each component (PLSRegression's n_iter_) and how many components stopped at its
max_iter=500 with a ConvergenceWarning.
"""

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.cross_decomposition import PLSRegression
from sklearn.exceptions import ConvergenceWarning

COMPONENT_COUNTS = (2, 5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", type=Path, help="JSON with x_train, y_train and x_test")
    parser.add_argument("output", type=Path, help="fixture file to write")
    parser.add_argument("--description", default="", help="where the input rows come from")
    args = parser.parse_args()

    data = json.loads(args.input.read_text())
    x_train, y_train, x_test = (np.asarray(data[k]) for k in ("x_train", "y_train", "x_test"))
    models = {}
    for n_components in COMPONENT_COUNTS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            pls = PLSRegression(n_components=n_components, scale=True).fit(x_train, y_train)
        unconverged = sum(1 for w in caught if issubclass(w.category, ConvergenceWarning))
        models[f"pls_{n_components}_components_scaled"] = {
            "n_components": n_components,
            "n_iter": [int(i) for i in pls.n_iter_],
            "unconverged_components": unconverged,
            "test_predictions": pls.predict(x_test).tolist(),
        }
    fixture = {
        "description": args.description,
        "sklearn_version": sklearn.__version__,
        "x_train": data["x_train"],
        "y_train": data["y_train"],
        "x_test": data["x_test"],
        "models": models,
    }
    args.output.write_text(json.dumps(fixture, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
