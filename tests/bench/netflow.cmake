# NetFlow codec and generator benchmarks (docs/performance.md has figures).
sluice_add_benchmark(netflow_bench
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/netflow_bench.cpp
  LIBRARIES sluice::netflow sluice::flowgen)
