#!/usr/bin/env bash
# Long fuzz run of the wire parsers.
#
#   scripts/fuzz-wire.sh [EXAMPLES] [pytest args...]
#
# EXAMPLES (default 100000) is how many cases each Hypothesis property in tests/fuzz tries; the
# plain mutation loop (test_random_mutations_fast) runs 50 times as many, so the default run
# tries 5 million mutated messages there (about 2 million a minute on one core) and over a
# million more through Hypothesis (about an hour in all). To run only the loop, with 50 million
# cases: scripts/fuzz-wire.sh 1000000 -k fast. STATELINE_FUZZ_SEED picks the loop's seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export STATELINE_FUZZ_EXAMPLES="${1:-100000}"
shift || true
export STATELINE_FUZZ_SEED="${STATELINE_FUZZ_SEED:-$RANDOM}"
echo "fuzzing the wire: ${STATELINE_FUZZ_EXAMPLES} examples per property, seed ${STATELINE_FUZZ_SEED}"
exec .venv/bin/pytest tests/fuzz -p no:cacheprovider -q "$@"
