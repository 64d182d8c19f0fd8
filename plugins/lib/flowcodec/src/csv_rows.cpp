// csv: csv_writer's default layout without a header, one row per flow.
// Protocols go as numbers: a bus's readers are programs (a ClickHouse UInt8
// column), and nfdump's names do not all map back (IDPR is 35 and 38).
#include "formats.h"

namespace sluice::flowcodec::detail {
namespace {

class CsvEncoder final : public Encoder {
 public:
  explicit CsvEncoder(csv::TimeFormat time_format) : writer_(time_format, false) {}

  void encode(const FlowRecord& flow, csv::Buffer& out) override {
    const auto fields = csv::default_fields();
    out.commit(writer_.put_row(out.reserve(csv::FieldWriter::row_room(fields.size())), fields, flow));
  }

  std::string_view separator() const noexcept override { return "\n"; }

 private:
  csv::FieldWriter writer_;
};

class CsvDecoder final : public Decoder {
 public:
  bool decode(std::string_view message, std::vector<FlowRecord>& out) override {
    return for_each_line(message, [&](std::string_view row) {
      FlowRecord flow;
      if (!csv::parse_row(csv::default_fields(), row, flow)) return false;
      out.push_back(flow);
      return true;
    });
  }
};

}  // namespace

std::unique_ptr<Encoder> make_csv_encoder(csv::TimeFormat time_format) {
  return std::make_unique<CsvEncoder>(time_format);
}
std::unique_ptr<Decoder> make_csv_decoder() { return std::make_unique<CsvDecoder>(); }

}  // namespace sluice::flowcodec::detail
