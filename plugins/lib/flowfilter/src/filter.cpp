#include "sluice/flowfilter/filter.h"

#include <fmt/format.h>

#include "parser.h"
#include "program.h"

namespace sluice::flowfilter {

SyntaxError::SyntaxError(std::size_t line, std::size_t column, const std::string& reason)
    : std::runtime_error(line > 1 ? fmt::format("line {}, column {}: {}", line, column, reason)
                                  : fmt::format("column {}: {}", column, reason)),
      line_(line),
      column_(column),
      reason_(reason) {}

struct Filter::Node : detail::Node {};

Filter::Filter(std::string_view expression, TextTable* texts)
    : root_(std::make_unique<Node>(Node{detail::parse(expression, texts)})) {}
Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

void Filter::evaluate(std::span<const FlowRecord> records, std::uint8_t* matches) const {
  for (std::size_t start = 0; start < records.size(); start += detail::chunk_size) {
    const std::size_t count = std::min(detail::chunk_size, records.size() - start);
    detail::evaluate(*root_, records.data() + start, count, matches + start);
  }
}

bool Filter::matches(const FlowRecord& record) const {
  std::uint8_t match = 0;
  detail::evaluate(*root_, &record, 1, &match);
  return match != 0;
}

std::size_t Filter::select(std::span<const FlowRecord> records, std::vector<FlowRecord>& out) const {
  const std::size_t before = out.size();
  std::uint8_t matches[detail::chunk_size];
  for (std::size_t start = 0; start < records.size(); start += detail::chunk_size) {
    const std::size_t count = std::min(detail::chunk_size, records.size() - start);
    const FlowRecord* chunk = records.data() + start;
    detail::evaluate(*root_, chunk, count, matches);
    for (std::size_t i = 0; i < count; ++i)
      if (matches[i]) out.push_back(chunk[i]);
  }
  return out.size() - before;
}

}  // namespace sluice::flowfilter
