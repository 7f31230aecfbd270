"""Time scikit-learn and Keras fit and predict on the shapes that lunchbench benches.

Writes timings.json to --out. README.md in this folder lists the keys.
"""

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import common

SCHEMA_VERSION = 1
SCALING_ROWS = (100, 1_000, 10_000)
SCALING_PREDICTORS = (100, 1_000)
SCALING_TARGETS = 3
SCALING_NOISE = 0.1
SCALING_SEED = 0
# Keras fits at this many rows or more use --slow-repeats, because one 80-epoch fit
# there took about 60 s on 2 cores (AMD EPYC, shared with other work).
KERAS_SLOW_ROWS = 10_000

MODEL_SETTINGS = {
    "ridge": (
        f"StandardScaler then Ridge(alpha={common.RIDGE_ALPHA}), all targets at once; "
        "the timed fit includes fitting the scaler."
    ),
    "elastic-net": (
        f"StandardScaler then one ElasticNet(alpha={common.ELASTIC_NET_ALPHA}, "
        f"l1_ratio={common.ELASTIC_NET_L1_RATIO}) per target through MultiOutputRegressor, "
        "sklearn's default tol=1e-4 and max_iter=1000; the timed fit includes the scaler."
    ),
    "pls": f"PLSRegression(n_components={common.PLS_COMPONENTS}, scale=True), one PLS2 model.",
    "keras-scaled": (
        f"Sequential([Input((p,)), Dense({common.KERAS_HIDDEN_UNITS}, relu), Dense(n_targets)]), "
        f"Adam with defaults, MSE loss, fit(epochs={common.KERAS_EPOCHS}, "
        f"batch_size={common.KERAS_BATCH_SIZE}) on data standardized beforehand (not timed). "
        "A 1-epoch warm-up fit and a warm-up predict trace the tf.function graphs first; "
        "each timed fit restores the initial weights and times only model.fit. The Adam "
        "state carries over between repeats, which changes the numbers but not the work."
    ),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=common.DEFAULT_RESULTS_DIR,
        help="output folder for timings.json (default: baselines/results)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed runs per case; the median is stored (default: 3)",
    )
    parser.add_argument(
        "--slow-repeats",
        type=int,
        default=1,
        help=(
            "timed runs for the slow cases: elastic-net on lab and Keras at "
            f"{KERAS_SLOW_ROWS:,} rows (default: 1)"
        ),
    )
    parser.add_argument("--skip-keras", action="store_true", help="do not time the Keras network")
    parser.add_argument(
        "--skip-elastic-net",
        action="store_true",
        help="do not time elastic-net (about 25 s on lab's 1,400 targets on 2 cores)",
    )
    parser.add_argument("--skip-scaling", action="store_true", help="do not run the synthetic scaling series")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.slow_repeats < 1:
        parser.error("--repeats and --slow-repeats must be at least 1")
    return args


class FitTimer:
    """Wall-clock seconds of each timed fit and predict, and process CPU seconds of each fit."""

    def __init__(self):
        self.fit_seconds = []
        self.fit_cpu_seconds = []
        self.predict_seconds = []

    def time_fit(self, function):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        function()
        self.fit_seconds.append(time.perf_counter() - wall_start)
        self.fit_cpu_seconds.append(time.process_time() - cpu_start)

    def time_predict(self, function):
        start = time.perf_counter()
        function()
        self.predict_seconds.append(time.perf_counter() - start)

    def entry(self):
        return {
            "fit_seconds": statistics.median(self.fit_seconds),
            "predict_seconds": statistics.median(self.predict_seconds),
            "fit_cpu_seconds": statistics.median(self.fit_cpu_seconds),
            "repeats": len(self.fit_seconds),
            "fit_seconds_all": self.fit_seconds,
            "predict_seconds_all": self.predict_seconds,
        }


def time_sklearn(make_estimator, x_fit, y_fit, x_predict, repeats):
    """Time a fresh fit and a predict `repeats` times and return the timing entry."""
    timer = FitTimer()
    for _ in range(repeats):
        estimator = make_estimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            timer.time_fit(lambda: estimator.fit(x_fit, y_fit))
        timer.time_predict(lambda: estimator.predict(x_predict))
    return timer.entry()


def time_keras(keras, x_fit, y_fit, x_predict, repeats):
    """Time model.fit and model.predict after warm-up calls have traced their graphs."""
    x_scaler = StandardScaler().fit(x_fit)
    x_fit = x_scaler.transform(x_fit).astype(np.float32)
    y_fit = StandardScaler().fit_transform(y_fit).astype(np.float32)
    x_predict = x_scaler.transform(x_predict).astype(np.float32)

    model = common.build_keras_network(keras, x_fit.shape[1], y_fit.shape[1])
    initial_weights = model.get_weights()
    fit_options = {"batch_size": common.KERAS_BATCH_SIZE, "verbose": 0}

    start = time.perf_counter()
    model.fit(x_fit, y_fit, epochs=1, **fit_options)
    warmup_fit_seconds = time.perf_counter() - start
    model.predict(x_predict, verbose=0)

    timer = FitTimer()
    for _ in range(repeats):
        model.set_weights(initial_weights)
        timer.time_fit(lambda: model.fit(x_fit, y_fit, epochs=common.KERAS_EPOCHS, **fit_options))
        timer.time_predict(lambda: model.predict(x_predict, verbose=0))

    entry = timer.entry()
    entry["warmup_fit_seconds"] = warmup_fit_seconds
    entry["warmup_epochs"] = 1
    return entry


def log_entry(label, model_name, entry):
    common.log(
        f"{label}: {model_name}: fit {entry['fit_seconds']:.4g} s, "
        f"predict {entry['predict_seconds']:.4g} s (median of {entry['repeats']})"
    )


def time_real_dataset(name, args, keras):
    """Time every model on a data set's train rows, predicting its test rows."""
    dataset = common.load_dataset(name)
    models = {}
    jobs = [("ridge", common.make_ridge, args.repeats)]
    if not args.skip_elastic_net:
        repeats = args.slow_repeats if name == "lab" else args.repeats
        jobs.append(("elastic-net", common.make_elastic_net, repeats))
    jobs.append(("pls", common.make_pls, args.repeats))

    for model_name, make_estimator, repeats in jobs:
        common.log(f"{name}: timing {model_name}")
        entry = time_sklearn(make_estimator, dataset.x_train, dataset.y_train, dataset.x_test, repeats)
        models[model_name] = entry
        log_entry(name, model_name, entry)
    if keras is not None:
        common.log(f"{name}: timing keras-scaled")
        entry = time_keras(keras, dataset.x_train, dataset.y_train, dataset.x_test, args.repeats)
        models["keras-scaled"] = entry
        log_entry(name, "keras-scaled", entry)

    return {
        "dataset": dataset.path.name,
        "dataset_sha256": common.sha256_of_file(dataset.path),
        "fit_rows": len(dataset.x_train),
        "predict_rows": len(dataset.x_test),
        "n_predictors": dataset.x_train.shape[1],
        "n_targets": dataset.y_train.shape[1],
        "models": models,
    }


def make_synthetic(rows, predictors):
    """Return X (standard normal) and y = X @ w + 0.1 * noise with 3 targets, seeded."""
    rng = np.random.default_rng(SCALING_SEED)
    x = rng.standard_normal((rows, predictors))
    weights = rng.standard_normal((predictors, SCALING_TARGETS))
    noise = rng.standard_normal((rows, SCALING_TARGETS))
    return x, x @ weights + SCALING_NOISE * noise


def time_scaling_series(args, keras):
    """Time ridge, PLS and Keras on synthetic data, predicting the fitted rows."""
    series = []
    for rows in SCALING_ROWS:
        for predictors in SCALING_PREDICTORS:
            label = f"synthetic {rows}x{predictors}"
            x, y = make_synthetic(rows, predictors)
            models = {}
            for model_name, make_estimator in (("ridge", common.make_ridge), ("pls", common.make_pls)):
                entry = time_sklearn(make_estimator, x, y, x, args.repeats)
                models[model_name] = entry
                log_entry(label, model_name, entry)
            if keras is not None:
                repeats = args.slow_repeats if rows >= KERAS_SLOW_ROWS else args.repeats
                entry = time_keras(keras, x, y, x, repeats)
                models["keras-scaled"] = entry
                log_entry(label, "keras-scaled", entry)
            series.append(
                {
                    "rows": rows,
                    "n_predictors": predictors,
                    "n_targets": SCALING_TARGETS,
                    "models": models,
                }
            )
    return series


def main(argv=None):
    args = parse_args(argv)
    keras = None if args.skip_keras else common.import_keras()
    report = {
        "schema_version": SCHEMA_VERSION,
        "versions": common.collect_versions(with_keras=keras is not None),
        "machine": common.describe_machine(),
        "date": common.utc_now_iso(),
        "load_average": {"start": common.read_load_average(), "end": None},
        "units": (
            "seconds: wall clock (time.perf_counter), except fit_cpu_seconds, which is "
            "the CPU time of all threads of this process (time.process_time)"
        ),
        "repeats": {
            "default": args.repeats,
            "slow": args.slow_repeats,
            "slow_cases": f"elastic-net on lab; keras-scaled at {KERAS_SLOW_ROWS} rows or more",
        },
        "model_settings": MODEL_SETTINGS,
        "real_datasets_note": (
            "Each model is fitted on the data set's train rows and predicts its test rows."
        ),
        "scaling_note": (
            f"Synthetic data from numpy.random.default_rng({SCALING_SEED}), drawn in this "
            f"order: X (rows x predictors, standard normal), w (predictors x {SCALING_TARGETS}, "
            f"standard normal), noise (rows x {SCALING_TARGETS}, standard normal); "
            f"y = X @ w + {SCALING_NOISE} * noise. Each model predicts the rows it was fitted on."
        ),
        "real_datasets": {},
        "scaling": [],
    }
    for name in ("lab", "tecator"):
        report["real_datasets"][name] = time_real_dataset(name, args, keras)
    if not args.skip_scaling:
        report["scaling"] = time_scaling_series(args, keras)

    report["load_average"]["end"] = common.read_load_average()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "timings.json"
    with open(path, "w") as handle:
        json.dump(report, handle, indent=1)
        handle.write("\n")
    common.log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
