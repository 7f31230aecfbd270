"""Data loading, model recipes and run metadata used by peers.py and time_peers.py."""

import datetime
import hashlib
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import ElasticNet, Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DATASETS_DIR = REPO_ROOT / "datasets"
DEFAULT_RESULTS_DIR = Path(__file__).resolve().parent / "results"

RIDGE_ALPHA = 1.0
ELASTIC_NET_ALPHA = 0.01
ELASTIC_NET_L1_RATIO = 0.5
PLS_COMPONENTS = 5
KERAS_HIDDEN_UNITS = 64
KERAS_EPOCHS = 80
KERAS_BATCH_SIZE = 32
KERAS_SEED = 0


@dataclass
class Dataset:
    """A CSV split into train and test rows by its `set` column."""

    name: str
    path: Path
    predictor_names: list
    target_names: list
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def select_columns(name, columns):
    """Return (predictor names, target names) for a data set, in file order."""
    if name == "lab":
        predictors = [c for c in columns if c.startswith("inst1_")]
        targets = [c for c in columns if c.startswith(("inst2_", "inst3_"))]
    elif name == "tecator":
        predictors = [c for c in columns if c.startswith("x_")]
        targets = ["water", "fat", "protein"]
    else:
        raise ValueError(f"invalid data set name {name!r}: expected 'lab' or 'tecator'")
    return predictors, targets


def load_dataset(name):
    """Read datasets/NAME.csv and split it on the `set` column (train or test)."""
    path = DATASETS_DIR / f"{name}.csv"
    frame = pd.read_csv(path)
    predictors, targets = select_columns(name, list(frame.columns))
    unknown_sets = set(frame["set"]) - {"train", "test"}
    if unknown_sets:
        raise ValueError(f"{path}: invalid values in column 'set': {sorted(unknown_sets)}")
    train = frame[frame["set"] == "train"]
    test = frame[frame["set"] == "test"]
    return Dataset(
        name=name,
        path=path,
        predictor_names=predictors,
        target_names=targets,
        x_train=train[predictors].to_numpy(dtype=np.float64),
        y_train=train[targets].to_numpy(dtype=np.float64),
        x_test=test[predictors].to_numpy(dtype=np.float64),
        y_test=test[targets].to_numpy(dtype=np.float64),
    )


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_ridge():
    return make_pipeline(StandardScaler(), Ridge(alpha=RIDGE_ALPHA))


def make_elastic_net():
    # One ElasticNet per target column, with sklearn's default tol (1e-4) and
    # max_iter (1000). MultiTaskElasticNet would couple the targets, so it is not used.
    return make_pipeline(
        StandardScaler(),
        MultiOutputRegressor(ElasticNet(alpha=ELASTIC_NET_ALPHA, l1_ratio=ELASTIC_NET_L1_RATIO)),
    )


def make_pls():
    return PLSRegression(n_components=PLS_COMPONENTS, scale=True)


def count_unconverged_elastic_nets(pipeline):
    """Count the per-target ElasticNet fits that stopped at max_iter."""
    estimators = pipeline[-1].estimators_
    return sum(1 for e in estimators if e.n_iter_ >= e.max_iter)


def import_keras():
    """Import Keras with TensorFlow's info logs and retracing warnings silenced.

    Each peer builds a new model, so TensorFlow's warning that predict() was traced
    again on every new model is expected here.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow

    tensorflow.get_logger().setLevel("ERROR")
    return keras


def build_keras_network(keras, n_predictors, n_targets):
    """Build and compile Dense(64, relu) -> Dense(n_targets) with Adam on MSE.

    The global seed is reset first, so each call starts from the same initial weights.
    """
    keras.utils.set_random_seed(KERAS_SEED)
    model = keras.Sequential(
        [
            keras.Input((n_predictors,)),
            keras.layers.Dense(KERAS_HIDDEN_UNITS, activation="relu"),
            keras.layers.Dense(n_targets),
        ]
    )
    model.compile(loss="mse", optimizer="adam")
    return model


def read_cpu_model():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe_machine():
    from threadpoolctl import threadpool_info

    thread_pools = [
        {
            "library": pool.get("internal_api"),
            "version": pool.get("version"),
            "num_threads": pool.get("num_threads"),
        }
        for pool in threadpool_info()
    ]
    return {
        "cpu_model": read_cpu_model(),
        "logical_cores": os.cpu_count(),
        "os": platform.platform(),
        "thread_pools": thread_pools,
    }


def collect_versions(with_keras):
    import scipy

    versions = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "scikit_learn": sklearn.__version__,
        "tensorflow": None,
        "keras": None,
    }
    if with_keras:
        keras = import_keras()
        import tensorflow

        versions["tensorflow"] = tensorflow.__version__
        versions["keras"] = keras.__version__
    return versions


def read_load_average():
    """Return the 1, 5 and 15 minute load averages, which show other work on the machine."""
    return [round(value, 2) for value in os.getloadavg()]


def utc_now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def log(message):
    print(message, file=sys.stderr, flush=True)
