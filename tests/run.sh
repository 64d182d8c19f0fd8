#!/usr/bin/env bash
# The whole test suite from scratch: installs what the tests use, builds
# twice (optimised with g++; ASan+UBSan with clang, which also builds the
# libFuzzer targets), and runs every test in both builds; then the engine's
# and the workers' tests under ThreadSanitizer.
#   tests/run.sh            both builds
#   tests/run.sh --quick    the optimised build only
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC

tests/install-deps.sh --tests
tests/check-format.sh

jobs=$(nproc)
run_suite() {  # run_suite BUILD_DIR CMAKE_ARGS...
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S . -B "$dir" -G Ninja "$@"
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

# The README's build (RelWithDebInfo: -O2) without its debug information,
# which is a quarter of the build's CPU time and which nothing here reads
# (the sanitizer build below keeps it for its reports).
run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG"
tests/check-tidy.sh build-test
# The .deb of that build under a real systemd (a booted Debian 12 root).
tests/service/systemd.sh build-test
if [[ "${1:-}" != "--quick" ]]; then
  # halt_on_error: a sanitizer finding fails the test that triggered it.
  export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  CC=clang CXX=clang++ run_suite build-sanitize -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON \
    -DSLUICE_FUZZ=ON -DSLUICE_BUILD_BENCHMARKS=OFF
  # ThreadSanitizer over the engine, where the threads are: its tests and
  # the command line's (workers keep each source's order through transform
  # and sink workers). The file writers' byte-identity on workers passes
  # under it too (files_plugins_test --gtest_filter='*Workers*'); it is left
  # out here for the run's time.
  rm -rf build-tsan
  CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_TSAN=ON \
    -DSLUICE_BUILD_BENCHMARKS=OFF
  cmake --build build-tsan -j "$jobs" --target engine_test cli_test
  export TSAN_OPTIONS=halt_on_error=1
  build-tsan/tests/engine/engine_test
  build-tsan/tests/engine/cli_test
fi
