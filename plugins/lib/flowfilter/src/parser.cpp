#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "address.h"
#include "lexer.h"
#include "sluice/flowfilter/filter.h"
#include "sluice/protocols.h"

namespace sluice::flowfilter::detail {
namespace {

constexpr std::uint8_t tcp = 6, icmp = 1, icmpv6 = 58;
constexpr int max_nesting = 200;  // "not" and parentheses: deeper is surely a mistake

// The direction words before a primitive ("src port", "src or dst ip", "in if").
enum class Qualifier { none, src, dst, either, both, in, out };

// Sets of qualifiers, one bit each.
using Qualifiers = unsigned;
constexpr Qualifiers bit(Qualifier q) { return 1u << static_cast<unsigned>(q); }
constexpr Qualifiers no_qualifier = bit(Qualifier::none);
constexpr Qualifiers src_dst =
    no_qualifier | bit(Qualifier::src) | bit(Qualifier::dst) | bit(Qualifier::either) | bit(Qualifier::both);
constexpr Qualifiers in_out = no_qualifier | bit(Qualifier::in) | bit(Qualifier::out);

constexpr Words all_ones{~std::uint64_t{0}, ~std::uint64_t{0}};

// An attribute word after "net" or "if" and the fields it names on each side.
struct Attribute {
  Keyword word;
  Field src;  // or in
  Field dst;  // or out
};
constexpr Attribute network_attributes[] = {
    {Keyword::name, Field::src_net_name, Field::dst_net_name},
    {Keyword::role, Field::src_net_role, Field::dst_net_role},
    {Keyword::site, Field::src_net_site, Field::dst_net_site},
    {Keyword::region, Field::src_net_region, Field::dst_net_region},
    {Keyword::tenant, Field::src_net_tenant, Field::dst_net_tenant},
};
constexpr Attribute interface_names[] = {
    {Keyword::name, Field::in_if_name, Field::out_if_name},
    {Keyword::description, Field::in_if_description, Field::out_if_description},
    {Keyword::connectivity, Field::in_if_connectivity, Field::out_if_connectivity},
};

class Parser {
 public:
  Parser(std::string_view text, TextTable* texts) : tokens_(tokenize(text)), texts_(texts) {}

  Node parse() {
    if (peek().kind == TokenKind::end) fail(peek(), "the expression is empty (\"any\" matches every flow)");
    Node node = parse_or();
    if (peek().kind != TokenKind::end) fail(peek(), "expected \"and\", \"or\" or the end, found " + describe(peek()));
    return node;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const { return tokens_[std::min(position_ + ahead, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    if (position_ < tokens_.size() - 1) ++position_;
    return t;
  }

  [[noreturn]] static void fail(const Token& at, const std::string& reason) {
    throw SyntaxError(at.line, at.column, reason);
  }

  static std::string describe(const Token& t) {
    return t.kind == TokenKind::end ? "the end of the expression" : fmt::format("\"{}\"", t.text);
  }

  void expect(char symbol, std::string_view context) {
    if (!peek().is(symbol))
      fail(peek(), fmt::format("expected \"{}\" {}, found {}", symbol, context, describe(peek())));
    next();
  }

  // expr: expr or expr | expr and expr | not expr | ( expr ) | primitive;
  // "or" binds loosest, "not" tightest, as in nfdump's grammar.
  Node parse_or() { return parse_chain(Keyword::or_, &Parser::parse_and, &any_of); }
  Node parse_and() { return parse_chain(Keyword::and_, &Parser::parse_unary, &all_of); }

  // operand (op operand)*, joined from the left.
  Node parse_chain(Keyword op, Node (Parser::*operand)(), Node (*join)(Node, Node)) {
    Node node = (this->*operand)();
    while (peek().is(op)) {
      next();
      node = join(std::move(node), (this->*operand)());
    }
    return node;
  }

  Node parse_unary() {
    if (++depth_ > max_nesting) fail(peek(), "the expression is nested too deeply");
    Node node;
    if (peek().is(Keyword::not_)) {
      next();
      ++negations_;
      node = negate(parse_unary());
      --negations_;
    } else if (peek().is('(')) {
      const Token& open = next();
      node = parse_or();
      if (!peek().is(')'))
        fail(peek(),
             fmt::format("expected \")\" to close the \"(\" at column {}, found {}", open.column, describe(peek())));
      next();
    } else {
      node = parse_primitive();
    }
    --depth_;
    return node;
  }

  Qualifier parse_qualifier() {
    const Token& t = peek();
    const bool src = t.is(Keyword::src), dst = t.is(Keyword::dst);
    if (src || dst) {
      next();
      const bool or_ = peek().is(Keyword::or_), and_ = peek().is(Keyword::and_);
      if (!or_ && !and_) return src ? Qualifier::src : Qualifier::dst;
      next();
      const char* other = src ? "dst" : "src";
      if (!peek().is(src ? Keyword::dst : Keyword::src))
        fail(peek(), fmt::format("expected \"{}\" after \"{} {}\", found {}", other, t.text, or_ ? "or" : "and",
                                 describe(peek())));
      next();
      return or_ ? Qualifier::either : Qualifier::both;
    }
    if (t.is(Keyword::in) || t.is(Keyword::out)) {
      next();
      if (peek().is(Keyword::src) || peek().is(Keyword::dst))
        fail(t, fmt::format("\"{} {}\" is for MAC addresses, which sluice's filter does not support", t.text,
                            peek().text));
      return t.is(Keyword::in) ? Qualifier::in : Qualifier::out;
    }
    return Qualifier::none;
  }

  static void allow(Qualifier q, Qualifiers allowed, const Token& qualifier, const Token& primitive) {
    if (!(bit(q) & allowed))
      fail(qualifier, fmt::format("\"{}\" does not apply to \"{}\"", qualifier.text, primitive.text));
  }

  // One test for the source (or input) side and one for the destination (or
  // output) side, joined as the qualifier says; without one, either side may match.
  static Node sides(Qualifier q, Node src, Node dst) {
    switch (q) {
      case Qualifier::src:
      case Qualifier::in: return src;
      case Qualifier::dst:
      case Qualifier::out: return dst;
      case Qualifier::both: return all_of(std::move(src), std::move(dst));
      default: return any_of(std::move(src), std::move(dst));
    }
  }

  Comparison parse_comparison() {
    static constexpr std::pair<Keyword, Comparison> comparisons[] = {{Keyword::eq, Comparison::eq},
                                                                     {Keyword::lt, Comparison::lt},
                                                                     {Keyword::gt, Comparison::gt},
                                                                     {Keyword::le, Comparison::le},
                                                                     {Keyword::ge, Comparison::ge}};
    for (const auto& [keyword, comparison] : comparisons) {
      if (peek().is(keyword)) {
        next();
        return comparison;
      }
    }
    return Comparison::eq;
  }

  std::uint64_t parse_number(std::string_view after, std::uint64_t max, std::string_view range) {
    const Token& t = peek();
    if (t.kind != TokenKind::number)
      fail(t, fmt::format("expected a number after \"{}\", found {}", after, describe(t)));
    if (t.too_large) fail(t, fmt::format("{} is too large a number", t.text));
    if (t.number > max) fail(t, fmt::format("{} is out of range: {}", t.text, range));
    next();
    return t.number;
  }

  // A comparison (optional: "=" when left out) and a number.
  Node parse_compared(Value value, std::string_view after, std::uint64_t max = ~std::uint64_t{0},
                      std::string_view range = "") {
    const Comparison c = parse_comparison();
    return compare(value, c, parse_number(after, max, range));
  }

  Literal parse_address_token(std::string_view after, bool complete) {
    const Token& t = peek();
    if (t.kind != TokenKind::word)
      fail(t, fmt::format("expected an IP address after \"{}\", found {}", after, describe(t)));
    const Literal literal = parse_literal(t.text);
    if (literal.status == Literal::Status::host_name)
      fail(t, fmt::format("\"{}\" is not an IP address (sluice does not look up host names)", t.text));
    if (literal.status == Literal::Status::invalid) fail(t, fmt::format("\"{}\" is not an IP address", t.text));
    if (complete && !literal.complete()) fail(t, fmt::format("\"{}\" is an incomplete IP address", t.text));
    next();
    return literal;
  }

  unsigned parse_prefix_bits(std::uint64_t max) {
    return static_cast<unsigned>(parse_number("/", max, fmt::format("at most {} bits", max)));
  }

  // [ address address/bits, address ... ]: spaces or commas between entries.
  std::vector<Prefix> parse_address_list(std::string_view after) {
    expect('[', fmt::format("after \"{}\"", after));
    std::vector<Prefix> prefixes;
    do {
      if (!prefixes.empty() && peek().is(',')) next();
      const Literal literal = parse_address_token(prefixes.empty() ? "[" : "the list's last entry", true);
      Words mask = all_ones;
      if (peek().is('/')) {
        next();
        mask = prefix_mask(literal.ipv6, parse_prefix_bits(literal.ipv6 ? 128 : 32));
      }
      prefixes.push_back({{literal.words.hi & mask.hi, literal.words.lo & mask.lo}, mask});
    } while (!peek().is(']'));
    next();
    return prefixes;
  }

  // [ number number, number ... ]
  std::vector<std::uint64_t> parse_number_list(std::string_view after, std::uint64_t max, std::string_view range) {
    expect('[', fmt::format("after \"{}\"", after));
    std::vector<std::uint64_t> numbers;
    do {
      if (!numbers.empty() && peek().is(',')) next();
      numbers.push_back(parse_number(numbers.empty() ? "[" : "the list's last entry", max, range));
    } while (!peek().is(']'));
    next();
    return numbers;
  }

  // The same test of a field on each side.
  static Node field_sides(Qualifier q, Field src, Field dst, Comparison c, std::uint64_t operand) {
    return sides(q, compare_field(info(src), c, operand), compare_field(info(dst), c, operand));
  }

  static const Attribute* attribute(const Token& t, std::span<const Attribute> attributes) {
    for (const Attribute& a : attributes)
      if (t.is(a.word)) return &a;
    return nullptr;
  }

  // A name as the run's text table knows it: flows carry the same id.
  std::uint64_t parse_name(std::string_view after) {
    const Token& t = peek();
    if (t.kind != TokenKind::quoted && t.kind != TokenKind::word && t.kind != TokenKind::number)
      fail(t, fmt::format("expected a name after \"{}\" (quote one with spaces or slashes: \"xe-0/0/1\"), found {}",
                          after, describe(t)));
    if (texts_ == nullptr) fail(t, "this filter compares no names: it was built without the run's text table");
    next();
    return texts_->intern(t.text);
  }

  // src|dst country CC: two letters, any case (the scanner reads "AS", "IN" and "ID" as keywords).
  Node parse_country(Qualifier q) {
    const Token& t = peek();
    const auto letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
    if (t.text.size() != 2 || !letter(t.text[0]) || !letter(t.text[1]))
      fail(t, fmt::format("expected a two-letter country code after \"country\", found {}", describe(t)));
    next();
    const char code[2] = {static_cast<char>(std::toupper(static_cast<unsigned char>(t.text[0]))),
                          static_cast<char>(std::toupper(static_cast<unsigned char>(t.text[1])))};
    std::uint16_t operand = 0;
    std::memcpy(&operand, code, sizeof operand);
    return field_sides(q, Field::src_country, Field::dst_country, Comparison::eq, operand);
  }

  // in|out if name|description|connectivity NAME, if speed [cmp] MBITS, if boundary external|internal.
  Node parse_interface_attribute(Qualifier q) {
    const Token& word = next();
    if (const Attribute* a = attribute(word, interface_names))
      return field_sides(q, a->src, a->dst, Comparison::eq, parse_name(fmt::format("if {}", word.text)));
    if (word.is(Keyword::speed)) {
      const Comparison c = parse_comparison();
      const auto mbits = parse_number("if speed", 0xffffffff, "a speed is 0 to 4294967295 Mbit/s");
      return field_sides(q, Field::in_if_speed, Field::out_if_speed, c, mbits);
    }
    const Token& t = next();
    Boundary boundary = Boundary::undefined;
    if (t.kind == TokenKind::word && equal_ignoring_case(t.text, "external")) boundary = Boundary::external;
    if (t.kind == TokenKind::word && equal_ignoring_case(t.text, "internal")) boundary = Boundary::internal;
    if (boundary == Boundary::undefined)
      fail(t, fmt::format("expected \"external\" or \"internal\" after \"if boundary\", found {}", describe(t)));
    return field_sides(q, Field::in_if_boundary, Field::out_if_boundary, Comparison::eq,
                       static_cast<std::uint64_t>(boundary));
  }

  static bool is_interface_attribute(const Token& t) {
    return attribute(t, interface_names) != nullptr || t.is(Keyword::speed) || t.is(Keyword::boundary);
  }

  std::uint64_t parse_protocol() {
    const Token& t = peek();
    if (t.kind == TokenKind::number) return parse_number("proto", 255, "a protocol is 0 to 255");
    if (t.kind != TokenKind::word)
      fail(t, fmt::format("expected a protocol name or number after \"proto\", found {}", describe(t)));
    if (const auto p = protocol_number(t.text)) {
      next();
      return *p;
    }
    fail(t, fmt::format("unknown protocol \"{}\" (names as nfdump prints them: tcp, udp, icmp, icmp6, gre, esp ...)",
                        t.text));
  }

  // flags ASPRUF: all the letters' bits set; flags <comparison> number.
  Node parse_flags() {
    Node tcp_only = compare(Value::proto, Comparison::eq, tcp);
    const Token& t = peek();
    std::uint8_t bits = 0;
    if (t.is(Keyword::as)) {  // the scanner reads "AS" as the keyword
      next();
      bits = 0x10 | 0x02;
    } else if (t.kind == TokenKind::word) {
      if (t.text.size() > 7) fail(t, fmt::format("\"{}\" has too many flags", t.text));
      static constexpr std::pair<char, std::uint8_t> letters[] = {{'F', 0x01}, {'S', 0x02}, {'R', 0x04}, {'P', 0x08},
                                                                  {'A', 0x10}, {'U', 0x20}, {'X', 0x3f}};
      std::string seen;
      for (char c : t.text) {
        bool known = false;
        for (const auto& [letter, bit] : letters) {
          if (c != letter) continue;
          known = true;
          bits |= bit;
        }
        if (!known) fail(t, fmt::format("'{}' is not a TCP flag: use A S F R P U, or X for all (upper case)", c));
        if (seen.find(c) != std::string::npos) fail(t, fmt::format("flag '{}' is given twice", c));
        seen += c;
      }
      next();
    } else {
      return all_of(std::move(tcp_only), parse_compared(Value::tcp_flags, "flags", 63, "flags are 0 to 63"));
    }
    // nfdump inverts "all of these flags" into "none of them", not "not all":
    // under an odd number of "not", the test becomes "any of them".
    return all_of(std::move(tcp_only), negations_ % 2 ? flags_any(bits) : flags_all(bits));
  }

  Node parse_ip(Qualifier q) {
    if (peek().is(Keyword::in)) {
      next();
      const auto list = parse_address_list("ip in");
      return sides(q, address_in(AddressField::src, list), address_in(AddressField::dst, list));
    }
    const Literal a = parse_address_token("ip", true);
    const Prefix exact{a.words, all_ones};
    return sides(q, address_is(AddressField::src, exact), address_is(AddressField::dst, exact));
  }

  Node parse_net(Qualifier q) {
    const Token& address = peek();
    const Literal a = parse_address_token("net", false);
    Prefix p;
    if (peek().is('/')) {
      next();
      const Token& bits_token = peek();
      const auto bits = parse_prefix_bits(a.ipv6 ? 128 : 32);
      if (bits > static_cast<unsigned>(a.bytes) * 8)
        fail(bits_token, fmt::format("/{} is longer than the {} bits \"{}\" gives", bits, a.bytes * 8, address.text));
      p.mask = prefix_mask(a.ipv6, bits);
    } else if (peek().kind == TokenKind::word) {
      if (a.ipv6) fail(peek(), "a netmask is for IPv4 networks only: write IPv6 networks as address/bits");
      if (!a.complete()) fail(address, fmt::format("\"{}\" is an incomplete IP address", address.text));
      const Token& mask_token = peek();
      const Literal m = parse_address_token("net", true);
      if (m.ipv6) fail(mask_token, "a netmask is for IPv4 networks only");
      // As nfdump: the mask covers the low 32 bits only.
      p.mask = {0, m.words.lo};
    } else {
      fail(peek(),
           fmt::format("expected /bits or a netmask after \"net {}\", found {}", address.text, describe(peek())));
    }
    p.value = {a.words.hi & p.mask.hi, a.words.lo & p.mask.lo};
    return sides(q, address_is(AddressField::src, p), address_is(AddressField::dst, p));
  }

  // port, as: "<comparison> N" or "in [N N ...]", on the source and/or destination value.
  Node parse_numbers(Qualifier q, const Token& primitive, Value src, Value dst, std::uint64_t max,
                     std::string_view range) {
    if (peek().is(Keyword::in)) {
      next();
      const auto members = parse_number_list(fmt::format("{} in", primitive.text), max, range);
      return sides(q, value_in(src, members), value_in(dst, members));
    }
    const Comparison c = parse_comparison();
    const auto n = parse_number(primitive.text, max, range);
    return sides(q, compare(src, c, n), compare(dst, c, n));
  }

  // next ip ADDR, next ip in [...]: the next-hop router.
  Node parse_next_hop(const Token& next_token) {
    if (!peek().is(Keyword::ip)) {
      if (peek().is(Keyword::as))
        fail(next_token, "\"next as\" (the BGP next adjacent AS) is not supported: sluice's records do not carry it");
      fail(peek(), fmt::format("expected \"ip\" after \"next\", found {}", describe(peek())));
    }
    next();
    if (peek().is(Keyword::in)) {
      next();
      return address_in(AddressField::next_hop, parse_address_list("next ip in"));
    }
    return address_is(AddressField::next_hop, {parse_address_token("next ip", true).words, all_ones});
  }

  Node parse_primitive() {
    if (peek().is(Keyword::next)) return parse_next_hop(next());
    if (peek().is(Keyword::router)) {
      next();
      if (!peek().is(Keyword::ip))
        fail(peek(), fmt::format("expected \"ip\" after \"router\", found {}", describe(peek())));
      next();
      return address_is(AddressField::exporter, {parse_address_token("router ip", true).words, all_ones});
    }
    const Token& qualifier = peek();
    const Qualifier q = parse_qualifier();
    const Token& t = next();
    const auto only = [&](Qualifiers allowed) { allow(q, allowed, qualifier, t); };
    if (t.kind != TokenKind::keyword || t.keyword == Keyword::unsupported) {
      if (t.kind == TokenKind::keyword)
        fail(t, fmt::format("\"{}\" is not supported by sluice's filter (docs/analysis.md lists what is)", t.text));
      fail(t, fmt::format("expected a filter primitive such as proto, ip, net, port, as, flags, packets or bytes; "
                          "found {}",
                          describe(t)));
    }
    switch (t.keyword) {
      case Keyword::any: only(no_qualifier); return constant(true);
      case Keyword::ipv4: only(no_qualifier); return negate(is_ipv6());
      case Keyword::ipv6: only(no_qualifier); return is_ipv6();
      case Keyword::proto: only(no_qualifier); return compare(Value::proto, Comparison::eq, parse_protocol());
      case Keyword::packets:
        only(in_out);
        return parse_compared(q == Qualifier::out ? Value::reverse_packets : Value::packets, t.text);
      case Keyword::bytes:
        only(in_out);
        return parse_compared(q == Qualifier::out ? Value::reverse_bytes : Value::bytes, t.text);
      case Keyword::flows: only(no_qualifier); return parse_compared(Value::flows, t.text);
      case Keyword::pps:
      case Keyword::bps:
      case Keyword::bpp:
      case Keyword::duration: {
        only(no_qualifier);
        const Value v = t.is(Keyword::pps)   ? Value::pps
                        : t.is(Keyword::bps) ? Value::bps
                        : t.is(Keyword::bpp) ? Value::bpp
                                             : Value::duration;
        return parse_compared(v, t.text);
      }
      case Keyword::tos: {
        only(src_dst);
        const Comparison c = parse_comparison();
        const auto tos = parse_number(t.text, 255, "a ToS is 0 to 255");
        // Without src or dst, nfdump tests the source ToS only.
        return sides(q == Qualifier::none ? Qualifier::src : q, compare(Value::src_tos, c, tos),
                     compare(Value::dst_tos, c, tos));
      }
      case Keyword::flags: only(no_qualifier); return parse_flags();
      case Keyword::ip: only(src_dst); return parse_ip(q);
      case Keyword::net:
        only(src_dst);
        if (const Attribute* a = attribute(peek(), network_attributes)) {
          const Token& word = next();
          return field_sides(q, a->src, a->dst, Comparison::eq, parse_name(fmt::format("net {}", word.text)));
        }
        return parse_net(q);
      case Keyword::country: only(src_dst); return parse_country(q);
      case Keyword::city:
      case Keyword::region: {
        only(src_dst);
        const bool city = t.is(Keyword::city);
        return field_sides(q, city ? Field::src_city : Field::src_region, city ? Field::dst_city : Field::dst_region,
                           Comparison::eq, parse_name(t.text));
      }
      case Keyword::exporter:
        only(no_qualifier);
        if (!peek().is(Keyword::name))
          fail(peek(), fmt::format("expected \"name\" after \"exporter\", found {}", describe(peek())));
        next();
        return compare_field(info(Field::exporter_name), Comparison::eq, parse_name("exporter name"));
      case Keyword::port:
        only(src_dst);
        return parse_numbers(q, t, Value::src_port, Value::dst_port, 65535, "a port is 0 to 65535");
      case Keyword::as:
        only(src_dst);
        if (peek().is(Keyword::name)) {
          next();
          return field_sides(q, Field::src_as_name, Field::dst_as_name, Comparison::eq, parse_name("as name"));
        }
        return parse_numbers(q, t, Value::src_as, Value::dst_as, 0xffffffff, "an AS number is 0 to 4294967295");
      case Keyword::mask: {
        only(src_dst);
        const auto bits = parse_number(t.text, 255, "a mask is 0 to 255 bits");
        return sides(q, compare(Value::src_mask, Comparison::eq, bits), compare(Value::dst_mask, Comparison::eq, bits));
      }
      case Keyword::if_: {
        only(in_out);
        if (is_interface_attribute(peek())) return parse_interface_attribute(q);
        const auto index = parse_number(t.text, 0xffffffff, "an interface is 0 to 4294967295");
        Node in = compare(Value::in_if, Comparison::eq, index), out = compare(Value::out_if, Comparison::eq, index);
        if (q == Qualifier::in) return in;
        if (q == Qualifier::out) return out;
        return any_of(std::move(in), std::move(out));
      }
      case Keyword::icmp_type:
      case Keyword::icmp_code: {
        only(no_qualifier);
        const auto n = parse_number(t.text, 255, "0 to 255");
        Node is_icmp =
            any_of(compare(Value::proto, Comparison::eq, icmp), compare(Value::proto, Comparison::eq, icmpv6));
        return all_of(std::move(is_icmp),
                      compare(t.is(Keyword::icmp_type) ? Value::icmp_type : Value::icmp_code, Comparison::eq, n));
      }
      case Keyword::engine_type:
      case Keyword::engine_id:
        only(no_qualifier);
        return parse_compared(t.is(Keyword::engine_type) ? Value::engine_type : Value::engine_id, t.text, 255,
                              "0 to 255");
      case Keyword::dir: {
        only(no_qualifier);
        if (peek().is(Keyword::ingress) || peek().is(Keyword::egress))
          return compare(Value::direction, Comparison::eq, next().is(Keyword::egress) ? 1 : 0);
        return compare(Value::direction, Comparison::eq,
                       parse_number(t.text, 2, "a direction is 0 (ingress) or 1 (egress)"));
      }
      default:
        fail(t, fmt::format("expected a filter primitive such as proto, ip, net, port, as, flags, packets or "
                            "bytes; found {}",
                            describe(t)));
    }
  }

  std::vector<Token> tokens_;
  TextTable* texts_;
  std::size_t position_ = 0;
  int depth_ = 0;
  int negations_ = 0;
};

}  // namespace

Node parse(std::string_view expression, TextTable* texts) { return Parser(expression, texts).parse(); }

}  // namespace sluice::flowfilter::detail
