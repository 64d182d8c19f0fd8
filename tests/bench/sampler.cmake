sluice_add_benchmark(sampler_bench SOURCES sampler_bench.cpp LIBRARIES sluice::sampling)
