# ClickHouse encoding benchmarks; tests/bench/clickhouse.sh measures the sink
# against a real server (docs/performance.md has figures).
sluice_add_benchmark(clickhouse_bench
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/clickhouse_bench.cpp
  LIBRARIES sluice::clickhouse_http sluice::flowgen)
