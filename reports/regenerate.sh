#!/usr/bin/env bash
# Regenerate the committed reports. Every number in them is reproduced by the same
# commands with --check (tests/committed_reports.rs), apart from wall-clock times.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release
bin=target/release/lunchbench
"$bin" compare datasets/lab.csv
"$bin" compare datasets/tecator.csv
"$bin" compare datasets/lab.csv datasets/tecator.csv --cv 5 --repeats 3 --out reports/cv
"$bin" compare datasets/lab.csv datasets/tecator.csv --cv 5 --repeats 3 --tune all --out reports/cv-tuned
"$bin" compare datasets/tecator.csv --config datasets/tecator-fat.toml --out reports/tecator-fat
