#!/usr/bin/env bash
# Time lunchbench and its peers on the same data in one run, then print the ratios.
# Usage: baselines/bench.sh [PYTHON]   (PYTHON: the venv's interpreter, see README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-python3}

cargo bench --bench models
"$python" baselines/time_peers.py
"$python" baselines/ratios.py
"$python" baselines/scaling_chart.py
