// nfdump 1.7's filter language ("proto tcp and dst port 443 and bytes > 1M"),
// compiled once into a predicate over flow records, with sluice's words for
// the enrichment's fields. docs/analysis.md lists the part of the language
// supported, sluice's extensions and where sluice differs on purpose.
#pragma once

#include <sluice/flow_record.h>
#include <sluice/texts.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::flowfilter {

// An expression that does not parse, or asks for something sluice does not
// support. what() is "column C: reason" ("line L, column C: reason" when the
// expression spans several lines).
class SyntaxError : public std::runtime_error {
 public:
  SyntaxError(std::size_t line, std::size_t column, const std::string& reason);
  std::size_t line() const noexcept { return line_; }      // 1-based
  std::size_t column() const noexcept { return column_; }  // 1-based, in bytes from the start of the line
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string reason_;
};

class Filter {
 public:
  // Throws SyntaxError. The enrichment's names (`in if name "xe-0/0/1"`)
  // are interned in `texts` once, here, and compared as TextIds: give the
  // table the flows' ids come from (Host::texts()); without one, an
  // expression that compares names is an error.
  explicit Filter(std::string_view expression, TextTable* texts = nullptr);
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  // matches[i] = 1 if records[i] matches, else 0.
  void evaluate(std::span<const FlowRecord> records, std::uint8_t* matches) const;
  bool matches(const FlowRecord& record) const;
  // Appends the records that match to `out`; returns how many it appended.
  std::size_t select(std::span<const FlowRecord> records, std::vector<FlowRecord>& out) const;

 private:
  struct Node;
  std::unique_ptr<Node> root_;
};

}  // namespace sluice::flowfilter
