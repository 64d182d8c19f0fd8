sluice_add_benchmark(files_bench SOURCES files_bench.cpp ${PROJECT_SOURCE_DIR}/tests/files/support.cpp
  LIBRARIES sluice_csv sluice_nffile sluice_test_support GTest::gtest)
target_include_directories(files_bench PRIVATE ${PROJECT_SOURCE_DIR}/tests/files)
