#include "sluice/csv/formatter.h"

namespace sluice::csv {
namespace {

class DefaultFormatter final : public Formatter {
 public:
  explicit DefaultFormatter(DefaultLayout layout)
      : layout_(std::move(layout)), writer_(layout_.time_format, layout_.proto_names) {}

  void header(Buffer& out) override {
    for (std::size_t i = 0; i < layout_.fields.size(); ++i) {
      if (i != 0) out.append(",");
      out.append(field_name(layout_.fields[i]));
    }
    out.append("\n");
  }

  void rows(std::span<const FlowRecord> flows, Buffer& out) override {
    // Room for every field at its longest, and the commas.
    const std::size_t row_room = layout_.fields.size() * (FieldWriter::max_size + 1) + 1;
    for (const FlowRecord& flow : flows) {
      char* p = out.reserve(row_room);
      for (const Field field : layout_.fields) {
        p = writer_.put(p, field, flow);
        *p++ = ',';
      }
      p[-1] = '\n';
      out.commit(p);
    }
  }

  void trailer(Buffer&) override {}

 private:
  DefaultLayout layout_;
  FieldWriter writer_;
};

}  // namespace

std::unique_ptr<Formatter> make_default_formatter(DefaultLayout layout) {
  return std::make_unique<DefaultFormatter>(std::move(layout));
}

}  // namespace sluice::csv
