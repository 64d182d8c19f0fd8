// The tokens of nfdump 1.7's filter scanner (src/lib/scanner.l): keywords
// are case-insensitive; a word is the longest run of letters, digits and
// "_:.-", which is then a number, a keyword or a string, as flex's longest
// match decides. sluice adds quoted strings ("xe-0/0/1", 'a "b"') for the
// enrichment's names, and the keywords that name those fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice::flowfilter::detail {

enum class Keyword : std::uint8_t {
  none,
  // what sluice evaluates
  any,
  ip,  // also "host"
  if_,
  in,
  out,
  flags,
  proto,
  tos,
  dir,  // also "flowdir"
  net,
  port,
  as,
  packets,
  bytes,
  flows,
  bpp,
  bps,
  pps,
  duration,
  ipv4,  // also "inet"
  ipv6,  // also "inet6"
  icmp_type,
  icmp_code,
  engine_type,
  engine_id,
  src,
  dst,
  next,
  ingress,
  egress,
  router,
  mask,
  and_,
  or_,
  not_,
  eq,
  gt,
  lt,
  ge,
  le,
  // sluice's words for the enrichment's fields (docs/analysis.md)
  country,  // also nfdump's "geo"
  city,
  region,
  name,
  role,
  site,
  tenant,
  description,
  speed,
  boundary,
  connectivity,
  exporter,
  // nfdump's other keywords: recognised so that they are reported as
  // unsupported rather than read as strings
  unsupported,
};

enum class TokenKind : std::uint8_t {
  end,
  number,   // decimal, 0x hex, or with a k/M/G/T suffix (x 1000 each)
  word,     // a string: an address, a protocol name, TCP flags
  keyword,  // including the operators && || ! = == > < >= <=
  symbol,   // ( ) [ ] , / and any other single character
  quoted,   // "..." or '...' (text is what is between the quotes; no escapes)
};

struct Token {
  TokenKind kind = TokenKind::end;
  Keyword keyword = Keyword::none;
  std::string_view text;
  std::uint64_t number = 0;
  bool too_large = false;  // a number beyond 2^64 - 1
  std::size_t line = 1;
  std::size_t column = 1;

  bool is(Keyword k) const noexcept { return kind == TokenKind::keyword && keyword == k; }
  bool is(char c) const noexcept { return kind == TokenKind::symbol && text.size() == 1 && text[0] == c; }
};

bool equal_ignoring_case(std::string_view a, std::string_view b);

// The whole expression as tokens, the last one `end`. Comments ("#" to the
// end of the line) and white space are skipped. Throws SyntaxError for a
// string without its closing quote.
std::vector<Token> tokenize(std::string_view expression);

}  // namespace sluice::flowfilter::detail
