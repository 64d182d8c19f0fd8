// OverlappedFile: pieces written while the next is prepared land in order,
// and a failed write is reported with the file's name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sluice/file_output/overlapped_file.h"
#include "support.h"

namespace sluice::file_output {
namespace {

using ::testing::HasSubstr;

// Piece i: a line of its number repeated, some pieces far larger than others.
std::string piece(int i) {
  std::string line = std::to_string(i) + ",";
  std::string text;
  for (int n = 0; n < 1 + (i % 7) * 5000; ++n) text += line;
  return text + "\n";
}

TEST(OverlappedFile, PiecesLandInOrderWhetherStartedOrAppended) {
  test::TempDir dir;
  std::string expected;
  {
    OverlappedFile file(File(dir / "out.csv", File::Mode::create));
    std::string buffers[2];  // one filled while the other is written, as csv_writer does
    for (int i = 0; i < 200; ++i) {
      std::string& next = buffers[i % 2];
      next = piece(i);
      expected += next;
      if (i % 10 == 9) {
        file.append(next);
      } else {
        file.start(next);
      }
    }
    file.close();
  }
  EXPECT_TRUE(testing::read_file(dir / "out.csv") == expected) << "the file differs from the pieces in order";
}

TEST(OverlappedFile, AFailedWriteIsReportedWithTheFileName) {
  OverlappedFile file(File("/dev/full", File::Mode::create));
  const std::string text = piece(3);
  try {
    file.start(text);  // writes in the call without io_uring
    file.finish();
    FAIL() << "a write to /dev/full succeeded";
  } catch (const FileError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/dev/full"));
    EXPECT_THAT(e.what(), HasSubstr("No space left on device"));
  }
}

TEST(OverlappedFile, StandardOutputIsWrittenInTheCall) {
  const OverlappedFile file(File::standard_output());
  EXPECT_FALSE(file.overlapped());
}

}  // namespace
}  // namespace sluice::file_output
