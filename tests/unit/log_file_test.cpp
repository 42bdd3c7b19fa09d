// storage/log_file: the line format of run logs, times, escapes and lines
// that are not records.
#include <catch2/catch.hpp>

#include "storage/log_file.hpp"

using namespace lagom;
using namespace lagom::storage;

TEST_CASE("a record is one line and parses back", "[log_file]") {
  log_record r{"warn", 1714564801234, "node-1", "tab\there, back\\slash, bell\x07, cr\r, nl\n."};
  auto text = format_line(r);
  CHECK(text ==
        "2024-05-01T12:00:01.234Z warn node-1 tab\there, back\\\\slash, bell\\x07, cr\\r, "
        "nl\\n.\n");
  log_record back;
  REQUIRE(parse_line(text.substr(0, text.size() - 1), &back));
  CHECK(back.level == r.level);
  CHECK(back.wall_ms == r.wall_ms);
  CHECK(back.node == r.node);
  CHECK(back.message == r.message);
}

TEST_CASE("an empty node is '-', an empty or spaced message survives", "[log_file]") {
  log_record back;
  auto line = format_line({"info", 0, "", "  leading spaces"});
  CHECK(line == "1970-01-01T00:00:00.000Z info -   leading spaces\n");
  REQUIRE(parse_line(line.substr(0, line.size() - 1), &back));
  CHECK(back.node.empty());
  CHECK(back.message == "  leading spaces");
  REQUIRE(parse_line("1970-01-01T00:00:00.000Z info - ", &back));
  CHECK(back.message.empty());
}

TEST_CASE("times are ISO 8601 UTC with milliseconds, checked on the way back", "[log_file]") {
  CHECK(format_time(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(-5) == "1970-01-01T00:00:00.000Z");
  int64_t ms = 0;
  REQUIRE(parse_time("2000-02-29T23:59:59.999Z", &ms));
  CHECK(format_time(ms) == "2000-02-29T23:59:59.999Z");
  for (auto bad : {"2000-02-29 23:59:59.999Z", "2000-13-01T00:00:00.000Z",
                   "2000-02-29T23:59:59.99Z", "x000-02-29T23:59:59.999Z", ""})
    CHECK_FALSE(parse_time(bad, &ms));
}

TEST_CASE("lines that are not records do not parse", "[log_file]") {
  log_record r;
  for (auto bad : {"", "junk", "1970-01-01T00:00:00.000Z info", "1970-01-01T00:00:00.000Z info n",
                   "1970-01-01T00:00:00.000Z loud n m", "yesterday info n m"})
    CHECK_FALSE(parse_line(bad, &r));
}

TEST_CASE("check names the field that is wrong", "[log_file]") {
  CHECK(check({"info", 0, "", "m"}).is_ok());
  CHECK(check({"critical", 0, "", "m"}).where() == "level");
  CHECK(check({"info", 0, "a b", "m"}).where() == "node");
  CHECK(check({"info", 0, "-", "m"}).where() == "node");
  CHECK(check({"info", 0, std::string("n\n"), "m"}).where() == "node");
}
