// storage/feature_csv, feature_npy, feature_import: files and matrices as
// frames, and the errors that name file:line:column or the header field.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

#include "feature_checks.hpp"
#include "storage/feature_csv.hpp"
#include "storage/feature_import.hpp"
#include "storage/feature_npy.hpp"
#include "storage/feature_store.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

namespace {

const std::string fmnist = "/usr/share/datasets/fashion-mnist/";

std::string csv_error(std::string_view text, csv_options o = {}) {
  feature_frame f;
  auto st = parse_csv(text, "in.csv", o, &f);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.code() == errc::invalid_argument);
  return st.to_string();
}

std::string npy_bytes(const std::string& header_dict, std::string_view data) {
  std::string h = header_dict;
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  auto len = static_cast<uint16_t>(h.size());
  out.append(reinterpret_cast<const char*>(&len), 2);
  return out + h + std::string(data);
}

std::string npy_error(const std::string& bytes) {
  feature_frame f;
  auto st = parse_npy(bytes, "a.npy", {}, &f);
  REQUIRE_FALSE(st.is_ok());
  CHECK(st.code() == errc::invalid_argument);
  return st.to_string();
}

} // namespace

TEST_CASE("a CSV with a BOM, CRLF and quoted fields is read with inferred types") {
  std::string text = "\xEF\xBB\xBFid,score,name,note\r\n"
                     "1,0.5,\"Smith, J\",\"said \"\"hi\"\"\r\nthen left\"\r\n"
                     "2,,plain,\r\n"
                     "3,1e3,x,y\r\n";
  feature_frame f;
  REQUIRE(parse_csv(text, "in.csv", {}, &f));
  REQUIRE(f.rows() == 3);
  CHECK(f.columns[0].spec.type == feature_type::int64);
  CHECK(f.columns[1].spec.type == feature_type::float64);
  CHECK(f.columns[2].spec.type == feature_type::string);
  CHECK(f.columns[0].i64 == std::vector<int64_t>{1, 2, 3});
  CHECK(f.columns[1].is_null(1));
  CHECK(f.columns[1].f64[2] == 1000);
  CHECK(f.columns[2].str[0] == "Smith, J");
  CHECK(f.columns[3].str[0] == "said \"hi\"\r\nthen left");

  csv_options declared;
  declared.types = {{"id", feature_type::float32}, {"score", feature_type::string}};
  REQUIRE(parse_csv(text, "in.csv", declared, &f));
  CHECK(f.columns[0].spec.type == feature_type::float32);
  CHECK(f.columns[1].str[2] == "1e3");
}

TEST_CASE("bad CSV input is refused naming file, line and column") {
  CHECK(csv_error("") == "in.csv: empty file: a CSV needs a header and rows");
  CHECK(csv_error("\xEF\xBB\xBF") == "in.csv: empty file: a CSV needs a header and rows");
  CHECK(csv_error("a,b\n") == "in.csv: header only: no data rows");
  CHECK(csv_error("a,b\n1,2\n3\n") == "in.csv:3:1: record has 1 fields; the header has 2");
  CHECK(csv_error("a,b\n1,2,3\n") == "in.csv:2:1: record has 3 fields; the header has 2");
  CHECK(csv_error("a,b\n1,\"open\n2,3\n") == "in.csv:2:3: unterminated quote");
  CHECK(csv_error(std::string("a,b\n1,x\0y\n", 10)) == "in.csv:2:4: NUL byte");
  CHECK(csv_error("a,b\n1,ab\"c\n") ==
        "in.csv:2:5: quote inside an unquoted field (quote the whole field and double it)");
  CHECK(csv_error("a,b\n1,\"x\"y\n") == "in.csv:2:6: text after a closing quote");
  CHECK(csv_error("a,a\n1,2\n") == "in.csv:1:3: header field 'a' appears twice");
  CHECK(csv_error("a,b-c\n1,2\n") ==
        "in.csv:1:3: header field: name 'b-c' may hold only A-Z, a-z, 0-9 and _");
  csv_options ints;
  ints.types = {{"b", feature_type::int64}};
  CHECK(csv_error("a,b\n1,2\n3,4.5\n", ints) == "in.csv:3:3: '4.5' is not a int64 (column 'b')");
  ints.types = {{"zz", feature_type::int64}};
  CHECK(csv_error("a,b\n1,2\n", ints) ==
        "in.csv: header field 'zz': a type is declared for it but the header has no such field");
  csv_options small;
  small.max_field_bytes = 8;
  CHECK(csv_error("a,b\n1,\"0123456789\"\n", small) == "in.csv:2:3: field longer than 8 bytes");
  feature_frame f;
  auto st = read_csv("/nonexistent/x.csv", {}, &f);
  CHECK(st.code() == errc::not_found);
}

TEST_CASE("a CSV written from a frame reads back the same values") {
  test::temp_dir dir;
  feature_frame f;
  f.columns.push_back(test::i64_col("id", {1, 2}));
  f.columns.push_back(test::f64_col("x", {0.1, -2.5e-300}));
  f.columns.push_back(test::str_col("s", {"a,\"b\"", "line\nbreak"}));
  f.columns[1].valid = {1, 1};
  REQUIRE(write_csv(dir / "out.csv", f));
  feature_frame back;
  REQUIRE(read_csv(dir / "out.csv", {}, &back));
  CHECK(back.columns[0].i64 == f.columns[0].i64);
  CHECK(back.columns[1].f64 == f.columns[1].f64);
  CHECK(back.columns[2].str == f.columns[2].str);
}

// Found by fuzz_feature_csv: a one-column row holding "" or a null was
// written as a blank line, which read_csv skips, so the row was lost.
TEST_CASE("a one-column CSV with an empty string and a null reads back every row") {
  test::temp_dir dir;
  feature_frame strings;
  strings.columns.push_back(test::str_col("s", {"", "x", ""}));
  REQUIRE(write_csv(dir / "s.csv", strings));
  feature_frame back;
  REQUIRE(read_csv(dir / "s.csv", {}, &back));
  REQUIRE(back.rows() == 3);
  CHECK(back.columns[0].str == strings.columns[0].str);

  feature_frame numbers;
  numbers.columns.push_back(test::f64_col("x", {1.5, 0, 2}));
  numbers.columns[0].valid = {1, 0, 1};
  REQUIRE(write_csv(dir / "x.csv", numbers));
  feature_frame nback;
  REQUIRE(read_csv(dir / "x.csv", {}, &nback));
  REQUIRE(nback.rows() == 3);
  CHECK(nback.columns[0].is_null(1));
  CHECK(nback.columns[0].f64[2] == 2);
}

TEST_CASE("NPY arrays in C and Fortran order become columns col_0 .. col_n") {
  double c_order[6] = {1, 2, 3, 4, 5, 6};  // (2, 3)
  feature_frame f;
  REQUIRE(parse_npy(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                              std::string_view(reinterpret_cast<char*>(c_order), 48)),
                    "a.npy", {}, &f));
  REQUIRE(f.columns.size() == 3);
  CHECK(f.columns[1].spec.name == "col_1");
  CHECK(f.columns[1].f64 == std::vector<double>{2, 5});
  int32_t fortran[6] = {1, 4, 2, 5, 3, 6};  // the same (2, 3) array, column-major
  REQUIRE(parse_npy(npy_bytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }",
                              std::string_view(reinterpret_cast<char*>(fortran), 24)),
                    "a.npy", {}, &f));
  CHECK(f.columns[1].spec.type == feature_type::int64);
  CHECK(f.columns[1].i64 == std::vector<int64_t>{2, 5});
  CHECK(f.columns[2].i64 == std::vector<int64_t>{3, 6});

  test::temp_dir dir;
  float out[4] = {1.5f, 2.5f, 3.5f, 4.5f};
  REQUIRE(write_npy(dir / "w.npy", "<f4", 2, 2,
                    std::string_view(reinterpret_cast<char*>(out), 16)));
  REQUIRE(read_npy(dir / "w.npy", {}, &f));
  CHECK(f.columns[0].f32 == std::vector<float>{1.5f, 3.5f});
}

TEST_CASE("bad NPY files are refused naming the header field") {
  std::string eight(8 * 6, '\0');
  CHECK(npy_error("\x93NUMPX\x01\x00") == "a.npy: bad magic: not a .npy file (it must start "
                                          "with \\x93NUMPY)");
  CHECK(npy_error(npy_bytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }",
                            eight)) ==
        "a.npy: header field 'descr': unsupported dtype '>f8' (supported: <f8 <f4 <i8 <i4 <i2 "
        "|i1 |u1 <u2 <u4)");
  CHECK(npy_error(npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }",
                            eight))
          .find("unsupported dtype '|O'") != std::string::npos);
  CHECK(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }",
                            eight)) ==
        "a.npy: header field 'shape': the array is 1-D; a feature group needs a 2-D array "
        "(rows, columns)");
  CHECK(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }",
                            eight)) ==
        "a.npy: header field 'shape': (3, 3) needs 72 data bytes; the file holds 48 (truncated)");
  CHECK(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }",
                            eight))
          .find("(trailing bytes)") != std::string::npos);
  CHECK(npy_error(npy_bytes("{'descr': '<f8', 'fortran_order': False, "
                            "'shape': (99999999999, 4000), }",
                            eight))
          .find("is more than") != std::string::npos);
  CHECK(npy_error(npy_bytes("{'descr': '<f8', 'shape': (2, 3), }", eight)) ==
        "a.npy: header field 'fortran_order': missing or not True/False");
  std::string lying = npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
                                eight);
  lying[8] = '\xff';  // header length past the end
  CHECK(npy_error(lying).find("(truncated)") != std::string::npos);
}

TEST_CASE("a matrix becomes index plus col_0 .. col_n, the seed's eit_school") {
  std::vector<double> m(20 * 10);
  for (size_t i = 0; i < m.size(); ++i)
    m[i] = static_cast<double>((i * 7919) % 1000) / 1000.0;
  feature_frame f;
  REQUIRE(frame_from_matrix(m.data(), 20, 10, &f));
  REQUIRE(f.columns.size() == 11);
  CHECK(f.columns[0].spec.name == "index");
  CHECK(f.columns[0].i64[19] == 19);
  CHECK(f.columns[10].spec.name == "col_9");
  CHECK(f.columns[3].f64[4] == m[4 * 10 + 2]);
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  REQUIRE(fs.create("eit_school", test::schema_of(f, {"index"}), f));
  feature_frame five;
  read_options o;
  o.limit = 5;
  REQUIRE(fs.read("eit_school", o, &five));
  CHECK(five.rows() == 5);
  CHECK(format_table(five, 5).substr(0, 12) == "index  col_0");
}

TEST_CASE("Fashion-MNIST test images and labels become one group with all 786 correlations") {
  feature_frame f;
  REQUIRE(read_idx_pair(fmnist + "t10k-images-idx3-ubyte.gz", fmnist + "t10k-labels-idx1-ubyte.gz",
                        &f));
  REQUIRE(f.rows() == 10000);
  CHECK(f.columns[1].spec.type == feature_type::u8_vector);
  CHECK(f.columns[1].spec.width == 784);
  test::temp_dir dir;
  feature_store fs;
  REQUIRE(feature_store::open(dir / "shard", {}, &fs));
  REQUIRE(fs.create("fashion", test::schema_of(f, {"id"}), f));
  feature_statistics s;
  REQUIRE(fs.statistics("fashion", 0, &s));
  REQUIRE(s.corr_names.size() == 786);
  const column_stats* label = s.find("label");
  REQUIRE(label != nullptr);
  CHECK(label->mean == Approx(4.5));
  CHECK(label->distinct() == 10);
  CHECK(label->hist[0] == 1000);  // ten classes of 1000, the first in bin 0
  // One correlation against a direct double computation.
  auto r = s.correlation();
  size_t a = 1 + 400, b = 1 + 401;  // neighbouring pixels
  double ma = 0, mb = 0;
  for (size_t i = 0; i < 10000; ++i) {
    ma += f.columns[1].u8[i * 784 + 400];
    mb += f.columns[1].u8[i * 784 + 401];
  }
  ma /= 10000;
  mb /= 10000;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < 10000; ++i) {
    double x = f.columns[1].u8[i * 784 + 400] - ma, y = f.columns[1].u8[i * 784 + 401] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  CHECK(r[a * 786 + b] == Approx(sab / std::sqrt(saa * sbb)).margin(1e-5));

  feature_frame g;
  auto st = read_idx_pair(fmnist + "t10k-images-idx3-ubyte.gz",
                          fmnist + "train-labels-idx1-ubyte.gz", &g);
  CHECK(st.to_string() == fmnist + "train-labels-idx1-ubyte.gz: 60000 labels for 10000 images in " +
                            fmnist + "t10k-images-idx3-ubyte.gz");
  st = read_idx_pair(fmnist + "t10k-labels-idx1-ubyte.gz", fmnist + "t10k-labels-idx1-ubyte.gz",
                     &g);
  CHECK(st.code() == errc::invalid_argument);
}

TEST_CASE("bad IDX files are refused naming the file") {
  test::temp_dir dir;
  auto put = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  std::string labels = fmnist + "t10k-labels-idx1-ubyte.gz";
  feature_frame f;
  std::string bad_magic = put("magic", std::string("\x01\x02\x08\x03", 4) + std::string(12, '\0'));
  auto st = read_idx_pair(bad_magic, labels, &f);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == bad_magic);
  // 10 images of 2 x 2 claimed, 3 bytes given.
  std::string truncated =
    put("short", std::string("\x00\x00\x08\x03\x00\x00\x00\x0a\x00\x00\x00\x02\x00\x00\x00\x02"
                             "abc", 19));
  st = read_idx_pair(truncated, labels, &f);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == truncated);
  std::string absurd = put("absurd", std::string("\x00\x00\x08\x03\xff\xff\xff\xff\xff\xff\xff"
                                                 "\xff\xff\xff\xff\xff", 16));
  st = read_idx_pair(absurd, labels, &f);
  CHECK(st.code() == errc::invalid_argument);
  CHECK(st.where() == absurd);
  std::string gz = put("corrupt.gz", std::string("\x1f\x8b\x08\x00garbage that is not deflate", 31));
  st = read_idx_pair(gz, labels, &f);
  CHECK_FALSE(st.is_ok());
  CHECK(st.where() == gz);
  CHECK(f.columns.empty());
}
