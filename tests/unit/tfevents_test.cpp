// tensorboard::event_writer and crc32c, checked by an independent decoder: the
// TFRecord reader, the bitwise CRC-32C and the protobuf field parser below share
// no code with runtime/tensorboard/ (only the standard test vectors).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tensorboard/crc32c.hpp"
#include "tensorboard/tfevents.hpp"

using namespace lagom;
using namespace lagom::tensorboard;
namespace fs = std::filesystem;

namespace {

// --- an independent decoder ------------------------------------------------

// CRC-32C one bit at a time, straight from the definition.
uint32_t bitwise_crc32c(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k)
      crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u; }

uint64_t le(const std::string& s, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(s.at(at + static_cast<size_t>(i)));
  return v;
}

// Every record's data, each framing CRC verified.
std::vector<std::string> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> records;
  size_t at = 0;
  while (at < file.size()) {
    REQUIRE(file.size() - at >= 12);
    const uint64_t length = le(file, at, 8);
    CHECK(le(file, at + 8, 4) == masked(bitwise_crc32c(file.substr(at, 8))));
    REQUIRE(file.size() - at - 12 >= length + 4);
    std::string data = file.substr(at + 12, length);
    CHECK(le(file, at + 12 + length, 4) == masked(bitwise_crc32c(data)));
    records.push_back(data);
    at += 12 + length + 4;
  }
  return records;
}

struct field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t scalar = 0;  // varint, fixed64 or fixed32 payload
  std::string bytes;    // length-delimited payload
};

uint64_t read_varint(const std::string& s, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    const auto b = static_cast<unsigned char>(s.at(at++));
    v |= uint64_t{b & 0x7Fu} << shift;
    if (!(b & 0x80))
      return v;
  }
  FAIL("varint longer than 10 bytes");
  return 0;
}

std::vector<field> parse(const std::string& msg) {
  std::vector<field> out;
  size_t at = 0;
  while (at < msg.size()) {
    const uint64_t key = read_varint(msg, at);
    field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    switch (f.wire) {
      case 0: f.scalar = read_varint(msg, at); break;
      case 1: f.scalar = le(msg, at, 8); at += 8; break;
      case 5: f.scalar = le(msg, at, 4); at += 4; break;
      case 2: {
        const uint64_t n = read_varint(msg, at);
        REQUIRE(at + n <= msg.size());
        f.bytes = msg.substr(at, n);
        at += n;
        break;
      }
      default: FAIL("unexpected wire type " << f.wire);
    }
    out.push_back(f);
  }
  return out;
}

// The parts of tensorflow.Event this writer sets.
struct event {
  double wall_time = 0;
  int64_t step = 0;
  std::string file_version;
  std::vector<std::pair<std::string, float>> values;  // Summary.value: (tag, simple_value)
};

event decode(const std::string& data) {
  event e;
  for (const field& f : parse(data)) {
    if (f.number == 1 && f.wire == 1) {
      std::memcpy(&e.wall_time, &f.scalar, 8);
    } else if (f.number == 2 && f.wire == 0) {
      e.step = static_cast<int64_t>(f.scalar);
    } else if (f.number == 3 && f.wire == 2) {
      e.file_version = f.bytes;
    } else if (f.number == 5 && f.wire == 2) {
      for (const field& v : parse(f.bytes)) {
        REQUIRE((v.number == 1 && v.wire == 2));
        std::pair<std::string, float> tv;
        for (const field& g : parse(v.bytes)) {
          if (g.number == 1 && g.wire == 2)
            tv.first = g.bytes;
          else if (g.number == 2 && g.wire == 5)
            std::memcpy(&tv.second, &g.scalar, 4);
          else
            FAIL("unexpected Value field " << g.number);
        }
        e.values.push_back(tv);
      }
    } else {
      FAIL("unexpected Event field " << f.number << " wire " << f.wire);
    }
  }
  return e;
}

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "lagom_tfevents_XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~temp_dir() { std::error_code ec; fs::remove_all(path, ec); }
};

std::string host() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name[0] ? name : "localhost";
}

} // namespace

TEST_CASE("crc32c matches the standard vectors and a bitwise CRC", "[crc32c]") {
  const std::string digits = "123456789";
  CHECK(crc32c(digits.data(), digits.size()) == 0xE3069283u);
  CHECK(bitwise_crc32c(digits) == 0xE3069283u);
  const std::string zeros(32, '\0'), ones(32, '\xFF');
  std::string ascending;
  for (int i = 0; i < 32; ++i)
    ascending.push_back(static_cast<char>(i));
  CHECK(crc32c(zeros.data(), 32) == 0x8A9136AAu);  // RFC 3720, B.4
  CHECK(crc32c(ones.data(), 32) == 0x62A8AB43u);
  CHECK(crc32c(ascending.data(), 32) == 0x46DD794Eu);
  CHECK(crc32c("", 0) == 0u);

  std::string text;
  for (int i = 0; i < 300; ++i)
    text.push_back(static_cast<char>((i * 131 + 7) % 256));
  for (size_t n : {1, 7, 8, 63, 300}) {
    const std::string part = text.substr(0, n);
    CHECK(crc32c(part.data(), n) == bitwise_crc32c(part));
    CHECK(crc32c_extend(crc32c(part.data(), n / 2), part.data() + n / 2, n - n / 2) ==
          bitwise_crc32c(part));
  }
  CHECK(mask_crc(0xE3069283u) == masked(0xE3069283u));
  CHECK(unmask_crc(mask_crc(0x12345678u)) == 0x12345678u);
}

TEST_CASE("event_writer writes a tfevents file TensorBoard's format describes", "[tfevents]") {
  temp_dir tmp;
  const std::string dir = (tmp.path / "runs" / "trial 1").string();  // does not exist yet
  const auto before = static_cast<int64_t>(std::floor(event_writer::now()));
  event_writer w;
  status s = event_writer::open(dir, w);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  const auto after = static_cast<int64_t>(std::floor(event_writer::now()));

  const std::string name = fs::path(w.path()).filename().string();
  const std::string prefix = "events.out.tfevents.";
  REQUIRE(name.rfind(prefix, 0) == 0);
  const size_t dot = name.find('.', prefix.size());
  const int64_t secs = std::stoll(name.substr(prefix.size(), dot - prefix.size()));
  CHECK((secs >= before && secs <= after));
  CHECK(name.substr(dot + 1) == host());
  CHECK(fs::path(w.path()).parent_path() == fs::path(dir));

  REQUIRE(w.add_scalar("loss", 0.5f, 0, 1000.25).is_ok());
  REQUIRE(w.add_scalar("train/accuracy", -3.0f, -7, 1001.5).is_ok());
  REQUIRE(w.add_scalar("loss", 1e-8f, int64_t{1} << 40).is_ok());
  REQUIRE(w.flush().is_ok());

  std::vector<std::string> records = read_records(w.path());
  REQUIRE(records.size() == 4);
  event first = decode(records[0]);
  CHECK(first.file_version == "brain.Event:2");
  CHECK(std::floor(first.wall_time) == Approx(static_cast<double>(secs)));
  CHECK(first.values.empty());

  event e1 = decode(records[1]), e2 = decode(records[2]), e3 = decode(records[3]);
  CHECK(e1.wall_time == 1000.25);
  CHECK(e1.step == 0);
  CHECK(e1.values == std::vector<std::pair<std::string, float>>{{"loss", 0.5f}});
  CHECK(e2.wall_time == 1001.5);
  CHECK(e2.step == -7);
  CHECK(e2.values == std::vector<std::pair<std::string, float>>{{"train/accuracy", -3.0f}});
  CHECK(e3.step == int64_t{1} << 40);
  CHECK(e3.values.at(0).second == 1e-8f);
  CHECK(e3.wall_time >= first.wall_time);
  CHECK(e3.file_version.empty());
  CHECK(w.close().is_ok());
  CHECK(w.path().empty());
}

TEST_CASE("event_writer flushes every N records and on flush()", "[tfevents]") {
  temp_dir tmp;
  event_writer w;
  REQUIRE(event_writer::open(tmp.path.string(), w, {".rank0", 3}).is_ok());
  CHECK(w.path().size() > 6);
  CHECK(w.path().substr(w.path().size() - 6) == ".rank0");
  const auto header = fs::file_size(w.path());
  CHECK(read_records(w.path()).size() == 1);  // the version record is flushed by open
  REQUIRE(w.add_scalar("a", 1, 1).is_ok());
  REQUIRE(w.add_scalar("a", 2, 2).is_ok());
  CHECK(fs::file_size(w.path()) == header);
  REQUIRE(w.add_scalar("a", 3, 3).is_ok());
  CHECK(read_records(w.path()).size() == 4);
  REQUIRE(w.add_scalar("b", 4, 4).is_ok());
  REQUIRE(w.flush().is_ok());
  std::vector<std::string> records = read_records(w.path());
  REQUIRE(records.size() == 5);
  CHECK(decode(records[4]).values.at(0).first == "b");

  event_writer moved = std::move(w);
  REQUIRE(moved.add_scalar("b", 5, 5).is_ok());
  const std::string path = moved.path();
  moved = event_writer{};  // closes, flushing
  CHECK(read_records(path).size() == 6);
}

TEST_CASE("event_writer errors name the directory or file", "[tfevents]") {
  temp_dir tmp;
  event_writer w;
  SECTION("a directory that is a file") {
    const std::string file = (tmp.path / "plain").string();
    std::ofstream(file) << "x";
    status s = event_writer::open(file + "/runs", w);
    CHECK(s.code() == errc::io_error);
    CHECK(s.where() == file + "/runs");
    CHECK(!w.is_open());
  }
  SECTION("an event file of the same name already there") {
    const auto now = static_cast<int64_t>(std::floor(event_writer::now()));
    for (int64_t t : {now, now + 1})
      std::ofstream(tmp.path / ("events.out.tfevents." + std::to_string(t) + "." + host()));
    status s = event_writer::open(tmp.path.string(), w);
    CHECK(s.code() == errc::io_error);
    CHECK(s.message().find("already exists") != std::string::npos);
    CHECK(s.where().rfind((tmp.path / "events.out.tfevents.").string(), 0) == 0);
  }
  SECTION("not open, or an empty tag") {
    CHECK(w.add_scalar("loss", 1, 1).code() == errc::invalid_argument);
    REQUIRE(event_writer::open(tmp.path.string(), w).is_ok());
    status s = w.add_scalar("", 1, 1);
    CHECK(s.code() == errc::invalid_argument);
    CHECK(s.where() == w.path());
  }
}
