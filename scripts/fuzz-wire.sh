#!/usr/bin/env bash
# Long fuzz run of the wire parsers: ./scripts/fuzz-wire.sh [examples per property] [seed]
# The default of 1,000,000 examples takes hours; the plain mutation loop in
# tests/fuzz/test_text_fuzz.py runs 50 times as many cases, a few million a minute... per core.
set -euo pipefail
cd "$(dirname "$0")/.."
export STATELINE_FUZZ_EXAMPLES="${1:-1000000}"
export STATELINE_FUZZ_SEED="${2:-$RANDOM}"
echo "fuzzing the wire: ${STATELINE_FUZZ_EXAMPLES} examples per property, seed ${STATELINE_FUZZ_SEED}"
exec .venv/bin/pytest tests/fuzz -p no:cacheprovider -q
