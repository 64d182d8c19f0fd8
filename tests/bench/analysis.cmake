sluice_add_benchmark(filter_bench SOURCES filter_bench.cpp LIBRARIES sluice::flowfilter sluice::flowgen)
