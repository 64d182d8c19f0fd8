// Content-Encoding: gzip, the request compression every ClickHouse's HTTP
// interface takes (18.16 knows gzip and deflate, not zstd).
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "sluice/clickhouse_http/client.h"
#include "sluice/clickhouse_http/encoder.h"

namespace sluice::clickhouse_http {

class Gzip {
 public:
  explicit Gzip(int level = 1);  // zlib's 1 (fastest) to 9
  ~Gzip();
  Gzip(const Gzip&) = delete;
  Gzip& operator=(const Gzip&) = delete;

  // The body as one gzip member; valid until the next call.
  std::span<const std::byte> compress(Body body);

 private:
  struct Stream;
  std::unique_ptr<Stream> stream_;
  ByteBuffer out_;
};

}  // namespace sluice::clickhouse_http
