// Shared by the script command tests: one statement of a line (source
// "run.lagom") turned into a command, expected to succeed or to fail.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/script/commands.hpp"

namespace lagom::script::test {

// Parses one statement of `line` (source "run.lagom") into a command.
inline status command_of(std::string_view line, command& out) {
  std::vector<statement> st;
  status s = parse(line, "run.lagom", st);
  if (!s)
    return s;
  REQUIRE(st.size() == 1);
  return to_command(st[0], out);
}

template <typename T>
T command_ok(std::string_view line) {
  command c;
  status s = command_of(line, c);
  INFO(line << ": " << s.to_string());
  REQUIRE(s.is_ok());
  REQUIRE(std::holds_alternative<T>(c));
  return std::get<T>(c);
}

// The error of a line that must be refused as invalid_argument, as printed.
inline std::string error_of(std::string_view line) {
  command c;
  status s = command_of(line, c);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == errc::invalid_argument);
  return s.to_string();
}

} // namespace lagom::script::test
