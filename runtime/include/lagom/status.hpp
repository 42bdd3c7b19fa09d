// lagom::status: the result of an operation that can fail, as a value.
//
// Modelled on LevelDB's Status: ok() or an error code with two messages,
// `msg` (what went wrong) and `where` (the key, path, field or file:line it
// concerns). Plain C++: used by runtime/, storage/ and cli/ without CAF.
// Actors turn a non-ok status into a caf::error (see runtime/wire/errors.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace lagom {

/// Error codes; numbers are pinned because they cross process boundaries.
enum class errc : uint8_t {
  ok = 0,
  invalid_argument = 1,   ///< bad input from outside: a flag, line, value or field
  not_found = 2,          ///< a named thing (function, node, file) does not exist
  malformed_frame = 3,    ///< a Cap'n Proto frame failed to decode or exceeded limits
  wrong_schema = 4,       ///< a frame carries a different struct than expected
  unauthorized = 5,       ///< wrong or missing cluster token
  unavailable = 6,        ///< resources cannot be granted now (retryable: queue)
  infeasible = 7,         ///< resources can never be granted (not retryable)
  container_lost = 8,     ///< the node running a container died or left
  function_failed = 9,    ///< a launched function threw or exited abnormally
  io_error = 10,          ///< a file or socket operation failed
  timeout = 11,           ///< a bounded wait expired
  internal = 12,          ///< a bug in lagom: an invariant did not hold
  fenced = 13,            ///< from a node incarnation the head dropped (membership epochs)
};

/// The stable name of an error code, e.g. "invalid_argument".
const char* to_string(errc code) noexcept;

class status {
public:
  /// An ok status.
  status() noexcept = default;

  static status ok() { return status{}; }
  static status error(errc code, std::string msg, std::string where = {}) {
    return status{code, std::move(msg), std::move(where)};
  }

  bool is_ok() const noexcept { return code_ == errc::ok; }
  explicit operator bool() const noexcept { return is_ok(); }
  errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return msg_; }
  const std::string& where() const noexcept { return where_; }

  /// "where: message" (or just "message"), for printing to a user.
  std::string to_string() const;

private:
  status(errc code, std::string msg, std::string where)
    : code_(code), msg_(std::move(msg)), where_(std::move(where)) {}

  errc code_ = errc::ok;
  std::string msg_;
  std::string where_;
};

} // namespace lagom
