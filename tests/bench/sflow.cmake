# sFlow codec benchmarks (docs/performance.md has figures).
sluice_add_benchmark(sflow_bench
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sflow_bench.cpp
  LIBRARIES sluice::sflow sluice::flowgen)
