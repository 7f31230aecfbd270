"""Fit scikit-learn and Keras peers on lunchbench's train/test splits and record test scores.

Writes one JSON file per data set (lab.json, tecator.json) to --out. README.md in this
folder lists the keys.
"""

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.preprocessing import StandardScaler

import common

SCHEMA_VERSION = 1
FAST_MODEL_REPEATS = 5

MODEL_SETTINGS = {
    "mean": "DummyRegressor(strategy='mean'): predicts each target's mean over the train rows.",
    "ridge": (
        f"StandardScaler fitted on the train rows (ddof=0), then Ridge(alpha={common.RIDGE_ALPHA}) "
        "on all targets at once, with an unpenalized intercept and the default solver."
    ),
    "elastic-net": (
        "StandardScaler fitted on the train rows (ddof=0), then one "
        f"ElasticNet(alpha={common.ELASTIC_NET_ALPHA}, l1_ratio={common.ELASTIC_NET_L1_RATIO}) "
        "per target through MultiOutputRegressor, with sklearn's default tol=1e-4 and "
        "max_iter=1000."
    ),
    "pls": (
        f"PLSRegression(n_components={common.PLS_COMPONENTS}, scale=True): one PLS2 model "
        "for all targets, NIPALS, predictors and targets centered and scaled by their "
        "sample standard deviation (ddof=1)."
    ),
    "keras-raw": (
        f"keras.Sequential([Input((p,)), Dense({common.KERAS_HIDDEN_UNITS}, relu), "
        "Dense(n_targets)]), compile(loss='mse', optimizer='adam') with Adam's defaults, "
        f"fit(epochs={common.KERAS_EPOCHS}, batch_size={common.KERAS_BATCH_SIZE}, "
        "shuffle=True) on the unscaled train rows, after "
        f"keras.utils.set_random_seed({common.KERAS_SEED}). Runs in float32."
    ),
    "keras-scaled": (
        "The keras-raw network and training, but with predictors and targets standardized "
        "by StandardScaler fitted on the train rows; predictions are transformed back to "
        "the original target units before scoring."
    ),
}

FAST_MODELS = ("mean", "ridge", "pls")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        choices=("lab", "tecator", "all"),
        default="all",
        help="data set to run (default: all)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=common.DEFAULT_RESULTS_DIR,
        help="output folder for DATASET.json (default: baselines/results)",
    )
    parser.add_argument("--skip-keras", action="store_true", help="do not run keras-raw and keras-scaled")
    parser.add_argument(
        "--skip-elastic-net",
        action="store_true",
        help="do not run elastic-net (about 25 s on lab's 1,400 targets on 2 cores)",
    )
    return parser.parse_args(argv)


def score_predictions(y_true, y_pred):
    """Return per-target metrics and their summaries across targets.

    R2 is null for a target that is constant on the test rows, because SS_tot is 0 there.
    Summaries of R2 skip those nulls.
    """
    rmse = root_mean_squared_error(y_true, y_pred, multioutput="raw_values")
    mae = mean_absolute_error(y_true, y_pred, multioutput="raw_values")
    max_error = np.max(np.abs(y_true - y_pred), axis=0)
    constant = np.all(y_true == y_true[0], axis=0)
    r2_values = r2_score(y_true, y_pred, multioutput="raw_values", force_finite=False)
    r2 = [None if is_constant else float(value) for value, is_constant in zip(r2_values, constant)]
    finite_r2 = [value for value in r2 if value is not None]

    per_target = {
        "rmse": rmse.tolist(),
        "mae": mae.tolist(),
        "r2": r2,
        "max_error": max_error.tolist(),
    }
    summary = {
        "mean_rmse": float(np.mean(rmse)),
        "median_rmse": float(np.median(rmse)),
        "max_rmse": float(np.max(rmse)),
        "mean_mae": float(np.mean(mae)),
        "median_mae": float(np.median(mae)),
        "max_mae": float(np.max(mae)),
        "mean_r2": float(np.mean(finite_r2)) if finite_r2 else None,
        "median_r2": float(np.median(finite_r2)) if finite_r2 else None,
        "min_r2": float(np.min(finite_r2)) if finite_r2 else None,
        "r2_null_count": len(r2) - len(finite_r2),
        "mean_max_error": float(np.mean(max_error)),
        "median_max_error": float(np.median(max_error)),
        "max_max_error": float(np.max(max_error)),
    }
    return per_target, summary


def time_call(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


class SklearnPeer:
    """A scikit-learn estimator fitted on X_train, y_train as given."""

    def __init__(self, name, make_estimator):
        self.name = name
        self.make_estimator = make_estimator
        self.estimator = None

    def fit(self, x_train, y_train):
        self.estimator = self.make_estimator()
        # Elastic-net emits one ConvergenceWarning per target that hits max_iter.
        # extra_fields() reports their count instead of printing up to 1,400 warnings.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator.fit(x_train, y_train)

    def predict(self, x):
        return np.asarray(self.estimator.predict(x), dtype=np.float64).reshape(len(x), -1)

    def extra_fields(self):
        if self.name == "elastic-net":
            unconverged = common.count_unconverged_elastic_nets(self.estimator)
            common.log(f"elastic-net: {unconverged} targets stopped at max_iter without converging")
            return {"unconverged_targets": unconverged}
        return {}


class KerasPeer:
    """The Dense(64, relu) -> Dense(n_targets) recipe, optionally on standardized data."""

    def __init__(self, name, keras, standardize):
        self.name = name
        self.keras = keras
        self.standardize = standardize
        self.model = None
        self.x_scaler = None
        self.y_scaler = None
        self.final_loss = None

    def fit(self, x_train, y_train):
        if self.standardize:
            self.x_scaler = StandardScaler().fit(x_train)
            self.y_scaler = StandardScaler().fit(y_train)
            x_train = self.x_scaler.transform(x_train)
            y_train = self.y_scaler.transform(y_train)
        self.model = common.build_keras_network(self.keras, x_train.shape[1], y_train.shape[1])
        history = self.model.fit(
            x_train,
            y_train,
            epochs=common.KERAS_EPOCHS,
            batch_size=common.KERAS_BATCH_SIZE,
            verbose=0,
        )
        self.final_loss = float(history.history["loss"][-1])

    def predict(self, x):
        if self.standardize:
            x = self.x_scaler.transform(x)
        prediction = np.asarray(self.model.predict(x, verbose=0), dtype=np.float64)
        if self.standardize:
            prediction = self.y_scaler.inverse_transform(prediction)
        return prediction

    def extra_fields(self):
        # With keras-scaled the loss is in standardized target units.
        return {"final_train_loss": self.final_loss}


def run_peer(peer, dataset, repeats):
    """Fit and predict `repeats` times, score the last predictions and return the JSON entry."""
    fit_seconds = []
    predict_seconds = []
    prediction = None
    for _ in range(repeats):
        _, seconds = time_call(lambda: peer.fit(dataset.x_train, dataset.y_train))
        fit_seconds.append(seconds)
        prediction, seconds = time_call(lambda: peer.predict(dataset.x_test))
        predict_seconds.append(seconds)

    per_target, summary = score_predictions(dataset.y_test, prediction)
    timing_note = f"median of {repeats} repeats" if repeats > 1 else "one run"
    if isinstance(peer, KerasPeer):
        timing_note += "; fit and predict each include tracing a new tf.function graph"
    entry = {
        "per_target": per_target,
        "summary": summary,
        "fit_seconds": statistics.median(fit_seconds),
        "predict_seconds": statistics.median(predict_seconds),
        "timing_repeats": repeats,
        "timing_note": timing_note,
        "fit_seconds_all": fit_seconds,
        "predict_seconds_all": predict_seconds,
    }
    entry.update(peer.extra_fields())
    return entry, prediction


def build_peers(args):
    peers = [
        SklearnPeer("mean", lambda: DummyRegressor(strategy="mean")),
        SklearnPeer("ridge", common.make_ridge),
    ]
    if not args.skip_elastic_net:
        peers.append(SklearnPeer("elastic-net", common.make_elastic_net))
    peers.append(SklearnPeer("pls", common.make_pls))
    if not args.skip_keras:
        keras = common.import_keras()
        peers.append(KerasPeer("keras-raw", keras, standardize=False))
        peers.append(KerasPeer("keras-scaled", keras, standardize=True))
    return peers


def run_dataset(name, args):
    dataset = common.load_dataset(name)
    peers = build_peers(args)
    skipped = [m for m in MODEL_SETTINGS if m not in {p.name for p in peers}]

    report = {
        "schema_version": SCHEMA_VERSION,
        "dataset": dataset.path.name,
        "dataset_sha256": common.sha256_of_file(dataset.path),
        "split": {
            "column": "set",
            "train_rows": len(dataset.x_train),
            "test_rows": len(dataset.x_test),
        },
        "n_predictors": len(dataset.predictor_names),
        "n_targets": len(dataset.target_names),
        "predictors": dataset.predictor_names,
        "targets": dataset.target_names,
        "versions": common.collect_versions(with_keras=not args.skip_keras),
        "machine": common.describe_machine(),
        "date": common.utc_now_iso(),
        "load_average": {"start": common.read_load_average(), "end": None},
        "model_settings": {p.name: MODEL_SETTINGS[p.name] for p in peers},
        "skipped_models": skipped,
        "models": {},
    }

    for peer in peers:
        repeats = FAST_MODEL_REPEATS if peer.name in FAST_MODELS else 1
        common.log(f"{name}: fitting {peer.name} ({repeats} run{'s' if repeats > 1 else ''})")
        entry, prediction = run_peer(peer, dataset, repeats)
        if name == "tecator":
            entry["test_predictions"] = prediction.tolist()
        report["models"][peer.name] = entry
        common.log(
            f"{name}: {peer.name}: mean RMSE {entry['summary']['mean_rmse']:.6g}, "
            f"mean R2 {entry['summary']['mean_r2']}, fit {entry['fit_seconds']:.3f} s"
        )
    report["load_average"]["end"] = common.read_load_average()
    return report


def main(argv=None):
    args = parse_args(argv)
    names = ("lab", "tecator") if args.dataset == "all" else (args.dataset,)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        report = run_dataset(name, args)
        path = args.out / f"{name}.json"
        with open(path, "w") as handle:
            json.dump(report, handle, indent=1)
            handle.write("\n")
        common.log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
