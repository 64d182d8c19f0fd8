#include <algorithm>

#include "sluice/csv/formatter.h"

namespace sluice::csv {
namespace {

class DefaultFormatter final : public Formatter {
 public:
  explicit DefaultFormatter(DefaultLayout layout)
      : layout_(std::move(layout)),
        writer_(layout_.time_format, layout_.proto_names, layout_.texts),
        has_text_(std::ranges::any_of(layout_.fields, [](Field f) { return info(f).kind == FieldKind::text; })) {}

  void header(Buffer& out) override {
    for (std::size_t i = 0; i < layout_.fields.size(); ++i) {
      if (i != 0) out.append(",");
      out.append(name_of(layout_.fields[i]));
    }
    out.append("\n");
  }

  void rows(std::span<const FlowRecord> flows, Buffer& out) override {
    const std::size_t room = FieldWriter::row_room(layout_.fields.size()) + 1;
    for (const FlowRecord& flow : flows) {
      const std::size_t row_room = has_text_ ? writer_.row_room(layout_.fields, flow) + 1 : room;
      char* p = writer_.put_row(out.reserve(row_room), layout_.fields, flow);
      *p++ = '\n';
      out.commit(p);
    }
  }

  void trailer(Buffer&) override {}

 private:
  DefaultLayout layout_;
  FieldWriter writer_;
  bool has_text_;  // rows' room depends on their texts
};

}  // namespace

std::unique_ptr<Formatter> make_default_formatter(DefaultLayout layout) {
  return std::make_unique<DefaultFormatter>(std::move(layout));
}

}  // namespace sluice::csv
