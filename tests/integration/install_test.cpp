// lagom as an installed package: `cmake --install` into a temporary prefix,
// then examples/host_service (its own CMakeLists.txt, its own train function)
// configured and built against that prefix with find_package(lagom) and run;
// the same host built with pkg-config's flags; a project without C refused
// with a message saying why; the .deb's control fields and contents.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "child_process.hpp"

using namespace lagom::test;
namespace fs = std::filesystem;

namespace {

const std::string build_dir = LAGOM_BUILD_DIR;
const std::string source_dir = LAGOM_SOURCE_DIR;
constexpr auto long_wait = std::chrono::seconds(100);

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
    ++n;
  return n;
}

// Installs the build tree into dir/prefix; returns the prefix.
std::string install_into(const temp_dir& d) {
  auto prefix = d.path() + "/prefix";
  auto r = run({"/usr/bin/cmake", "--install", build_dir, "--prefix", prefix}, "", long_wait);
  INFO(r.output);
  REQUIRE(r.code == 0);
  return prefix;
}

std::vector<std::string> with_launcher(std::vector<std::string> args) {
  if (fs::exists("/usr/bin/ccache"))
    args.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=/usr/bin/ccache");
  return args;
}

} // namespace

TEST_CASE("an installed lagom builds and runs a host service with its own train function", "[install]") {
  temp_dir d;
  auto prefix = install_into(d);
  for (auto f : {"bin/lagom", "include/lagom/lagom.hpp", "include/lagom/tuning/searchspace.hpp",
                 "lib/cmake/lagom/lagomConfig.cmake", "lib/cmake/lagom/lagomConfigVersion.cmake",
                 "lib/cmake/lagom/lagomTargets.cmake", "lib/cmake/lagom/FindCAF.cmake",
                 "lib/pkgconfig/lagom.pc", "lib/liblagom_actors.a", "lib/liblagom_core.a",
                 "share/lagom/examples/hello.lagom", "share/lagom/examples/host_service/main.cpp"})
    CHECK(fs::exists(prefix + "/" + f));

  auto host = d.path() + "/host";
  auto conf = run(with_launcher({"/usr/bin/cmake", "-S", source_dir + "/examples/host_service", "-B", host,
                                 "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_PREFIX_PATH=" + prefix}),
                  "", long_wait);
  INFO(conf.output);
  REQUIRE(conf.code == 0);
  auto build = run({"/usr/bin/cmake", "--build", host}, "", long_wait);
  INFO(build.output);
  REQUIRE(build.code == 0);

  auto data = d.path() + "/data";
  auto r = run({host + "/host_service", data}, "", std::chrono::seconds(60));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(count(r.output, ": fit_line w=") == 3);
  CHECK(count(r.output, " ok\n") == 3);

  // The installed binary reads what the host's embedded cluster recorded.
  auto show = run({prefix + "/bin/lagom", "--data", data, "show", "host-fit-line"});
  INFO(show.output);
  REQUIRE(show.code == 0);
  CHECK(count(show.output, "finished") >= 3);
}

TEST_CASE("pkg-config's flags for an installed lagom build the host service", "[install]") {
  temp_dir d;
  auto prefix = install_into(d);
  auto flags = run({"/usr/bin/env", "PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig", "pkg-config",
                    "--cflags", "--libs", "lagom"});
  INFO(flags.output);
  REQUIRE(flags.code == 0);
  CHECK(flags.output.find("-llagom_actors") != std::string::npos);
  auto exe = d.path() + "/host_service";
  auto cmd = "g++ -O1 -o " + exe + " " + source_dir + "/examples/host_service/main.cpp " +
             flags.output;
  std::replace(cmd.begin(), cmd.end(), '\n', ' ');
  auto cxx = run({"/bin/sh", "-c", cmd}, "", long_wait);
  INFO(cxx.output);
  REQUIRE(cxx.code == 0);
  auto r = run({exe, d.path() + "/data"}, "", std::chrono::seconds(60));
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(count(r.output, " ok\n") == 3);
}

TEST_CASE("find_package(lagom) in a project without C says why it cannot work", "[install]") {
  temp_dir d;
  auto prefix = install_into(d);
  fs::create_directories(d.path() + "/cxx_only");
  d.write("cxx_only/CMakeLists.txt", "cmake_minimum_required(VERSION 3.22)\n"
                                     "project(cxx_only CXX)\n"
                                     "find_package(lagom REQUIRED)\n");
  auto conf = run({"/usr/bin/cmake", "-S", d.path() + "/cxx_only", "-B", d.path() + "/cxx_only/b",
                   "-DCMAKE_PREFIX_PATH=" + prefix},
                  "", long_wait);
  INFO(conf.output);
  CHECK(conf.code != 0);
  CHECK(conf.output.find("lagom needs the C language enabled") != std::string::npos);
}

TEST_CASE("cpack makes a .deb with lagom's Debian dependencies and its files", "[install][deb]") {
  temp_dir d;
  auto r = run({"/usr/bin/cpack", "-G", "DEB", "--config", build_dir + "/CPackConfig.cmake", "-B", d.path()},
               "", long_wait);
  INFO(r.output);
  REQUIRE(r.code == 0);
  std::string deb;
  for (auto& e : fs::directory_iterator(d.path()))
    if (e.path().extension() == ".deb")
      deb = e.path().string();
  REQUIRE(!deb.empty());
  auto depends = run({"/usr/bin/dpkg-deb", "-f", deb, "Package", "Depends"});
  INFO(depends.output);
  REQUIRE(depends.code == 0);
  CHECK(depends.output.find("Package: lagom") != std::string::npos);
  for (auto dep : {"libcaf-dev", "libcapnp-dev", "liblmdb-dev", "libspdlog-dev", "libopenblas-dev"})
    CHECK(depends.output.find(dep) != std::string::npos);
  auto files = run({"/usr/bin/dpkg-deb", "-c", deb});
  INFO(files.output);
  REQUIRE(files.code == 0);
  for (auto f : {"./usr/bin/lagom", "./usr/include/lagom/lagom.hpp",
                 "./usr/lib/cmake/lagom/lagomConfig.cmake", "./usr/lib/pkgconfig/lagom.pc"})
    CHECK(files.output.find(f) != std::string::npos);
}
