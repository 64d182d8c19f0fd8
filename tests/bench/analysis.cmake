sluice_add_benchmark(filter_bench SOURCES filter_bench.cpp LIBRARIES sluice::flowfilter sluice::flowgen)
sluice_add_benchmark(aggregate_bench SOURCES aggregate_bench.cpp LIBRARIES sluice::aggregation sluice::flowgen)
