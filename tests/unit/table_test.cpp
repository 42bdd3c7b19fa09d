// cli::table: exact rendered output; format_bytes and format_duration.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/table.hpp"

using namespace lagom::cli;
using lagom::errc;
using lagom::status;

TEST_CASE("numbers right-align, text left-aligns, headers are underlined", "[cli][table]") {
  table t({"NODE", "CPUS", "STATE"});
  t.add_row({"n1", "16", "up"});
  t.add_row({"n2", "4", "draining"});
  CHECK(t.row_count() == 2);
  CHECK(t.render() ==
        "NODE  CPUS  STATE\n"
        "----  ----  --------\n"
        "n1      16  up\n"
        "n2       4  draining\n");
}

TEST_CASE("a title comes first, print and << write render()", "[cli][table]") {
  table t({"FUNCTION", "COUNT", "LOSS"});
  t.set_title("Running functions");
  t.add_row({"mnist.train", "8", "0.25"});
  t.add_row({"eval", "12", "-1.5e-3"});
  const std::string want =
    "Running functions\n"
    "FUNCTION     COUNT     LOSS\n"
    "-----------  -----  -------\n"
    "mnist.train      8     0.25\n"
    "eval            12  -1.5e-3\n";
  CHECK(t.render() == want);
  std::ostringstream a, b;
  t.print(a);
  b << t;
  CHECK(a.str() == want);
  CHECK(b.str() == want);
}

TEST_CASE("a column with any text cell is left-aligned, empty cells do not count",
          "[cli][table]") {
  table t({"A", "B", "C"});
  t.add_row({"1", "", ""});
  t.add_row({"22", "x", ""});
  t.add_row({"", "333", ""});
  CHECK(t.render() ==
        " A  B    C\n"
        "--  ---  -\n"
        " 1\n"
        "22  x\n"
        "    333\n");
}

TEST_CASE("short rows are padded, long rows add columns", "[cli][table]") {
  table t({"K", "V"});
  t.add_row({"a"});
  t.add_row({"b", "2", "extra"});
  CHECK(t.render() ==
        "K  V\n"
        "-  -  -----\n"
        "a\n"
        "b  2  extra\n");
}

TEST_CASE("an empty table renders its headers", "[cli][table]") {
  table t({"NAME", "SIZE"});
  CHECK(t.render() == "NAME  SIZE\n----  ----\n");
}

TEST_CASE("widths count UTF-8 code points", "[cli][table]") {
  table t({"UNIT", "N"});
  t.add_row({"\xC2\xB5s", "5"});  // "µs": 2 code points, 3 bytes
  t.add_row({"ms", "10"});
  CHECK(t.render() ==
        "UNIT   N\n"
        "----  --\n"
        "\xC2\xB5s     5\n"
        "ms    10\n");
}

TEST_CASE("is_numeric_cell", "[cli][table]") {
  for (const char* s : {"0", "-1", "3.25", ".5", "7.", "1e-4", "2E+3"})
    CHECK(is_numeric_cell(s));
  for (const char* s : {"", "-", ".", "1e", "1.2.3", "12%", "nan", "inf", "+1", " 1", "0x10"})
    CHECK_FALSE(is_numeric_cell(s));
}

TEST_CASE("format_bytes", "[cli][table]") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(1023) == "1023 B");
  CHECK(format_bytes(1024) == "1.0 KiB");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(1024 * 1024 - 1) == "1.0 MiB");
  CHECK(format_bytes(3ull << 30) == "3.0 GiB");
  CHECK(format_bytes(5ull << 40) == "5.0 TiB");
  CHECK(format_bytes(2048ull << 50) == "2048.0 PiB");
}

TEST_CASE("format_duration", "[cli][table]") {
  CHECK(format_duration(0) == "0 ms");
  CHECK(format_duration(0.0004) == "0 ms");
  CHECK(format_duration(-0.0001) == "0 ms");
  CHECK(format_duration(0.25) == "250 ms");
  CHECK(format_duration(0.9996) == "1.0 s");
  CHECK(format_duration(12.34) == "12.3 s");
  CHECK(format_duration(59.96) == "1m 00s");
  CHECK(format_duration(65) == "1m 05s");
  CHECK(format_duration(3599.6) == "1h 00m");
  CHECK(format_duration(2 * 3600 + 3 * 60 + 10) == "2h 03m");
  CHECK(format_duration(3 * 86400 + 4 * 3600) == "3d 04h");
  CHECK(format_duration(-1.5) == "-1.5 s");
}

TEST_CASE("format_timestamp writes UTC with milliseconds", "[cli][table]") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_timestamp(1714564801234) == "2024-05-01T12:00:01.234Z");
  CHECK(format_timestamp(-1) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("failure_cell tells a cancelled run from a failed one", "[cli][table]") {
  auto stopped = status::error(errc::unavailable, "cancelled: lagom run got SIGTERM", "launch/run 0");
  auto crashed = status::error(errc::function_failed, "exit code 3", "launch/run 1");
  CHECK(cancelled(stopped));
  CHECK(!cancelled(crashed));
  CHECK(!cancelled(status::ok()));
  CHECK(failure_cell(stopped) == "CANCELLED: " + stopped.to_string());
  CHECK(failure_cell(crashed) == "FAILED: " + crashed.to_string());
}
