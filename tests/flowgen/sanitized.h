// Whether this test runs under AddressSanitizer.
#pragma once

namespace sluice::flowgen::test {

// Sanitizers make the generator about twenty times slower: tests that make
// millions of flows make fewer there, and say so.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

}  // namespace sluice::flowgen::test
