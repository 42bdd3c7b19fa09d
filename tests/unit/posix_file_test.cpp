// storage::posix_file: file handles, durable directories, errors naming paths.
#include <catch2/catch.hpp>

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/posix_file.hpp"
#include "temp_dir.hpp"

using namespace lagom;
using namespace lagom::storage;

TEST_CASE("posix_file: write, sync, close, then read back exactly") {
  test::temp_dir dir{"lagom-file"};
  std::string path = dir / "f";
  posix_file out;
  REQUIRE(posix_file::open(path, O_WRONLY | O_CREAT | O_TRUNC, &out).is_ok());
  REQUIRE(out.write_all(std::string("abc\0def", 7)).is_ok());
  REQUIRE(out.sync().is_ok());
  REQUIRE(out.close().is_ok());
  CHECK_FALSE(out.is_open());
  CHECK(out.close().code() == errc::internal);

  posix_file in;
  REQUIRE(posix_file::open(path, O_RDONLY, &in).is_ok());
  uint64_t size = 0;
  REQUIRE(in.size(&size).is_ok());
  CHECK(size == 7);
  std::string buf(7, '?');
  REQUIRE(in.read_exact(buf.data(), buf.size()).is_ok());
  CHECK(buf == std::string("abc\0def", 7));
  char more;
  status st = in.read_exact(&more, 1);
  CHECK(st.code() == errc::io_error);
  CHECK(st.message() == "file ended early");
  CHECK(st.where() == path);

  posix_file moved = std::move(in);
  CHECK(moved.is_open());
  CHECK_FALSE(in.is_open());
}

TEST_CASE("posix_file: a missing file is not_found naming its path") {
  test::temp_dir dir{"lagom-file"};
  posix_file f;
  status st = posix_file::open(dir / "nope", O_RDONLY, &f);
  CHECK(st.code() == errc::not_found);
  CHECK(st.where() == dir / "nope");
  CHECK(st.message().rfind("open: ", 0) == 0);
}

TEST_CASE("posix_file: make_dirs creates every level once, and lists entries") {
  test::temp_dir dir{"lagom-file"};
  REQUIRE(make_dirs(dir / "a/b/c").is_ok());
  REQUIRE(make_dirs(dir / "a/b/c").is_ok());  // already there: fine
  CHECK(std::filesystem::is_directory(dir / "a/b/c"));
  REQUIRE(sync_dir(dir / "a").is_ok());

  posix_file f;
  REQUIRE(posix_file::open(dir / "a/file", O_WRONLY | O_CREAT, &f).is_ok());
  std::vector<std::string> names;
  REQUIRE(list_dir(dir / "a", &names).is_ok());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"b", "file"});

  status st = make_dirs(dir / "a/file/below");
  CHECK(st.code() == errc::io_error);
  CHECK(st.where() == dir / "a/file/below");
  CHECK(list_dir(dir / "none", &names).code() == errc::not_found);
  CHECK(make_dirs("").where() == "directory");
}
