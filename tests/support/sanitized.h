// Whether this test runs under AddressSanitizer.
#pragma once

namespace sluice::testing {

// Sanitizers make the generator about twenty times slower, and a Debug
// pipeline about ten: tests that move millions of flows move fewer there
// (the same code paths, fewer times), and say so.
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

}  // namespace sluice::testing
