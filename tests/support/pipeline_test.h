// Test support for GoogleTest programs: a fixture that runs the sluice CLI on
// pipelines it writes into a fresh folder.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "process.h"

namespace sluice::testing {

class PipelineTest : public ::testing::Test {
 protected:
  TempDir dir;

  ProcessResult run(const std::string& toml) {
    return run_sluice({"run", dir.write("pipeline.toml", toml).string(), "--stats-interval", "0"});
  }
  ProcessResult validate(const std::string& toml) {
    return run_sluice({"validate", dir.write("pipeline.toml", toml).string()});
  }
};

}  // namespace sluice::testing
