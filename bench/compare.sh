#!/usr/bin/env bash
# Times JMH benchmarks of two commits in one sitting, alternating A B A B ... so that a slow patch
# of a shared machine does not favour either. Builds REV's benchmarks.jar in a temporary worktree.
#
#   bench/compare.sh REV ROUNDS 'TrainStepBenchmark.step' -p backend=native -prof gc
#
# Prints each run's result lines; compare the medians.
set -euo pipefail
rev=${1:?usage: bench/compare.sh REV ROUNDS JMH-ARGS...}
rounds=${2:?usage: bench/compare.sh REV ROUNDS JMH-ARGS...}
shift 2
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'git worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/tree" "$rev" >/dev/null 2>&1
make -s -C "$work/tree" build >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
make -s build >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
cp "$work/tree/bench/target/benchmarks.jar" "$work/before.jar"
cp bench/target/benchmarks.jar "$work/after.jar"
java=$(make -s jdk | sed -n 's/^using JDK //p')/bin/java
for round in $(seq "$rounds"); do
  for which in before after; do
    echo "=== round $round: $which ($([ $which = before ] && echo "$rev" || echo "working tree"))"
    "$java" --enable-native-access=ALL-UNNAMED -jar "$work/$which.jar" "$@" 2>&1 \
      | grep -E '^[A-Za-z]+Benchmark\.[A-Za-z]+(:[a-z.]+)? '
  done
done
