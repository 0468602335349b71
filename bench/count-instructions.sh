#!/bin/sh
# Instructions per unit of work, counted by valgrind (callgrind), for each variant given:
#
#   npm run build && npx tsc -p tsconfig.examples.json
#   sh bench/count-instructions.sh waiting-read task iterator hand-written
#   sh bench/count-instructions.sh ping-pong task promise-socket raw
#   SMALL=2304 LARGE=18688 sh bench/count-instructions.sh tls-receive task hand-written raw
#
# Each variant runs twice, with SMALL and LARGE units (defaults 20,000 and 60,000); the
# difference divided by LARGE - SMALL is the cost per unit in steady state, without start-up,
# module loading and most of the JIT's compiling. Only this process's user-space instructions
# count (not the kernel's, not the bench server's). V8 runs single-threaded: with its compiler
# and collector threads, valgrind's scheduling of them moved the counts of one build by 10-20 %.
# Needs valgrind (Debian: apt-get install valgrind); about a minute per variant (tls-receive
# with the sizes above: five). NODE_FLAGS adds node flags of your own.
set -eu
workload=$1
shift
small=${SMALL:-20000}
large=${LARGE:-60000}
here=$(dirname "$0")
script="$here/../build/bench/instructions.js"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

total() {
  valgrind --tool=callgrind --callgrind-out-file="$out/$1.$2" node --single-threaded ${NODE_FLAGS:-} "$script" "$workload" "$1" "$2" >/dev/null 2>"$out/log"
  callgrind_annotate "$out/$1.$2" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

for variant in "$@"; do
  a=$(total "$variant" "$small")
  b=$(total "$variant" "$large")
  echo "$workload $variant: $(( (b - a) / (large - small) )) instructions per unit"
done
