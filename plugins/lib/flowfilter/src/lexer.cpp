#include "lexer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <utility>

#include "sluice/flowfilter/filter.h"

namespace sluice::flowfilter::detail {
namespace {

constexpr std::pair<std::string_view, Keyword> keywords[] = {
    {"any", Keyword::any},
    {"ip", Keyword::ip},
    {"host", Keyword::ip},
    {"if", Keyword::if_},
    {"in", Keyword::in},
    {"out", Keyword::out},
    {"flags", Keyword::flags},
    {"proto", Keyword::proto},
    {"tos", Keyword::tos},
    {"dir", Keyword::dir},
    {"flowdir", Keyword::dir},
    {"net", Keyword::net},
    {"port", Keyword::port},
    {"as", Keyword::as},
    {"packets", Keyword::packets},
    {"bytes", Keyword::bytes},
    {"flows", Keyword::flows},
    {"bpp", Keyword::bpp},
    {"bps", Keyword::bps},
    {"pps", Keyword::pps},
    {"duration", Keyword::duration},
    {"ipv4", Keyword::ipv4},
    {"inet", Keyword::ipv4},
    {"ipv6", Keyword::ipv6},
    {"inet6", Keyword::ipv6},
    {"icmp-type", Keyword::icmp_type},
    {"icmp-code", Keyword::icmp_code},
    {"engine-type", Keyword::engine_type},
    {"engine-id", Keyword::engine_id},
    {"src", Keyword::src},
    {"dst", Keyword::dst},
    {"next", Keyword::next},
    {"ingress", Keyword::ingress},
    {"egress", Keyword::egress},
    {"router", Keyword::router},
    {"mask", Keyword::mask},
    {"and", Keyword::and_},
    {"or", Keyword::or_},
    {"not", Keyword::not_},
    {"eq", Keyword::eq},
    {"gt", Keyword::gt},
    {"lt", Keyword::lt},
    {"ge", Keyword::ge},
    {"le", Keyword::le},
    {"country", Keyword::country},
    {"geo", Keyword::country},
    {"city", Keyword::city},
    {"region", Keyword::region},
    {"name", Keyword::name},
    {"role", Keyword::role},
    {"site", Keyword::site},
    {"tenant", Keyword::tenant},
    {"description", Keyword::description},
    {"speed", Keyword::speed},
    {"boundary", Keyword::boundary},
    {"connectivity", Keyword::connectivity},
    {"exporter", Keyword::exporter},
};

// nfdump 1.7.1's keywords for what sluice's records do not carry (tunnels,
// MPLS, MACs and VLANs, NSEL/NEL, payload, latency, BGP adjacency...).
constexpr std::string_view unsupported_keywords[] = {
    "tunip",       "mac",     "mpls",   "ident",   "nfversion", "count",  "tun",    "flowlabel", "prev",
    "previous",    "bgpnext", "vlan",   "fwdstat", "client",    "server", "app",    "latency",   "sysid",
    "observation", "domain",  "point",  "id",      "asa",       "event",  "ignore", "invalid",   "create",
    "add",         "term",    "delete", "deny",    "denied",    "xevent", "xip",    "nip",       "xnet",
    "xport",       "acl",     "ace",    "xace",    "nat",       "vrf",    "nport",  "pblock",    "start",
    "end",         "step",    "size",   "payload", "content",   "regex",  "ja3"};

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':' || c == '.' || c == '-';
}

bool all_of(std::string_view s, int (*predicate)(int)) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [&](char c) { return predicate(static_cast<unsigned char>(c)); });
}

// Digits in `base` to a number; false when it exceeds 64 bits.
bool to_number(std::string_view digits, unsigned base, std::uint64_t& value) {
  value = 0;
  for (char c : digits) {
    const unsigned digit = std::isdigit(static_cast<unsigned char>(c))
                               ? static_cast<unsigned>(c - '0')
                               : static_cast<unsigned>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / base) return false;
    value = value * base + digit;
  }
  return true;
}

// A word as flex classifies it: number, keyword or string.
Token classify(std::string_view word) {
  Token t;
  t.text = word;
  if (all_of(word, isdigit)) {
    t.kind = TokenKind::number;
    t.too_large = !to_number(word, 10, t.number);
    return t;
  }
  if (word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X') && all_of(word.substr(2), isxdigit)) {
    t.kind = TokenKind::number;
    t.too_large = !to_number(word.substr(2), 16, t.number);
    return t;
  }
  const std::string_view digits = word.substr(0, word.size() - 1);
  if (all_of(digits, isdigit)) {
    // nfdump scales by powers of 1000, not 1024
    static constexpr std::array<std::pair<char, std::uint64_t>, 4> scales{
        {{'k', 1'000}, {'m', 1'000'000}, {'g', 1'000'000'000}, {'t', 1'000'000'000'000}}};
    const char suffix = static_cast<char>(std::tolower(static_cast<unsigned char>(word.back())));
    for (const auto& [letter, scale] : scales) {
      if (suffix != letter) continue;
      t.kind = TokenKind::number;
      std::uint64_t base = 0;
      t.too_large = !to_number(digits, 10, base) || base > std::numeric_limits<std::uint64_t>::max() / scale;
      t.number = base * scale;
      return t;
    }
  }
  for (const auto& [spelling, keyword] : keywords) {
    if (equal_ignoring_case(word, spelling)) {
      t.kind = TokenKind::keyword;
      t.keyword = keyword;
      return t;
    }
  }
  for (const auto spelling : unsupported_keywords) {
    if (equal_ignoring_case(word, spelling)) {
      t.kind = TokenKind::keyword;
      t.keyword = Keyword::unsupported;
      return t;
    }
  }
  t.kind = TokenKind::word;
  return t;
}

// The operators, longest first so that ">=" is not read as ">" "=".
constexpr std::pair<std::string_view, Keyword> operators[] = {
    {"&&", Keyword::and_}, {"||", Keyword::or_}, {"==", Keyword::eq}, {">=", Keyword::ge}, {"<=", Keyword::le},
    {"!", Keyword::not_},  {"=", Keyword::eq},   {">", Keyword::gt},  {"<", Keyword::lt},
};

}  // namespace

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t line = 1;
  std::size_t line_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    const std::size_t start = i;
    Token token;
    if (c == '"' || c == '\'') {
      const std::size_t close = text.find_first_of(std::string_view(c == '"' ? "\"\n" : "'\n", 2), i + 1);
      if (close == std::string_view::npos || text[close] != c)
        throw SyntaxError(line, start - line_start + 1, fmt::format("the string has no closing {}", c));
      token.kind = TokenKind::quoted;
      token.text = text.substr(start + 1, close - start - 1);
      i = close + 1;
    } else if (is_word_char(c)) {
      while (i < text.size() && is_word_char(text[i])) ++i;
      token = classify(text.substr(start, i - start));
    } else {
      token.kind = TokenKind::symbol;
      token.text = text.substr(i, 1);
      for (const auto& [spelling, keyword] : operators) {
        if (text.substr(i, spelling.size()) == spelling) {
          token.kind = TokenKind::keyword;
          token.keyword = keyword;
          token.text = spelling;
          break;
        }
      }
      i += token.text.size();
    }
    token.line = line;
    token.column = start - line_start + 1;
    tokens.push_back(token);
  }
  Token end;
  end.line = line;
  end.column = text.size() - line_start + 1;
  tokens.push_back(end);
  return tokens;
}

}  // namespace sluice::flowfilter::detail
