# The bus formats, and GoFlow2's FlowMessage by libprotobuf's generated code
# for comparison with flowcodec's hand-written varints (docs/performance.md).
find_package(Protobuf REQUIRED)
protobuf_generate_cpp(flow_pb_sources flow_pb_headers ${PROJECT_SOURCE_DIR}/tests/kafka/flow.proto)
sluice_add_benchmark(kafka_bench SOURCES kafka_bench.cpp ${flow_pb_sources}
  ${PROJECT_SOURCE_DIR}/tests/files/support.cpp ${PROJECT_SOURCE_DIR}/tests/kafka/support.cpp
  LIBRARIES sluice_flowcodec sluice_test_support protobuf::libprotobuf GTest::gtest)
target_include_directories(kafka_bench PRIVATE ${CMAKE_CURRENT_BINARY_DIR} ${PROJECT_SOURCE_DIR}/tests/kafka
  ${PROJECT_SOURCE_DIR}/tests/files)
target_compile_definitions(kafka_bench PRIVATE SLUICE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# Generated code is not ours to hold to -Wpedantic.
set_source_files_properties(${flow_pb_sources} PROPERTIES COMPILE_OPTIONS "-w")
