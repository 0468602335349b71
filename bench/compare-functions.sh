#!/bin/sh
# Where two variants' instructions per unit differ, function by function (JIT-compiled JavaScript
# named through V8's perf map), under valgrind:
#
#   npm run build && npx tsc -p tsconfig.examples.json
#   SMALL=4000 LARGE=12000 sh bench/compare-functions.sh tls-receive task hand-written
#
# Each variant runs at SMALL and LARGE units, as in count-instructions.sh; per function, the
# difference divided by LARGE - SMALL. Prints the total per unit of each variant, then the
# functions whose cost differs most (A - B, A, B). Functions that run only at start-up can
# still differ by a few hundred per unit between the two sizes: read the JavaScript rows.
set -eu
workload=$1
a=$2
b=$3
small=${SMALL:-4000}
large=${LARGE:-12000}
here=$(cd "$(dirname "$0")" && pwd)
script="$here/../build/bench/instructions.js"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for variant in "$a" "$b"; do
  for units in "$small" "$large"; do
    # In the scratch directory: with --perf-basic-prof V8 also writes a log file where it runs.
    (cd "$out" && valgrind --tool=callgrind --callgrind-out-file="$out/$variant.$units.out" \
      node --single-threaded --perf-basic-prof "$script" "$workload" "$variant" "$units" >/dev/null 2>"$out/$variant.$units.log")
    pid=$(head -n 1 "$out/$variant.$units.log" | tr -dc '0-9')
    mv "/tmp/perf-$pid.map" "$out/$variant.$units.map"
  done
done
python3 "$here/compare_functions.py" "$out" "$a" "$b" "$small" "$large"
