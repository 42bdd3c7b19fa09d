// The feature store's faces through the real `lagom` binary: a .lagom script
// with the seed's commands run end to end on an embedded cluster (tables,
// statistics, a join, an online lookup, a training dataset and its export,
// PNG files that are valid PNGs), bad lines refused at FILE:LINE:COL with
// exit 2 before anything runs, runtime errors naming the group with exit 1,
// and `lagom fs list|show|stats|versions|drop`.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <png.h>

#include "child_process.hpp"

using namespace lagom::test;
using namespace std::chrono_literals;

namespace {

const std::string lagom_bin = LAGOM_BINARY;

run_result lagom_cli(const std::string& data, std::vector<std::string> args) {
  args.insert(args.begin(), {lagom_bin, "--data", data});
  return run(args, "", 60s);
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Decodes the whole file with libpng: true when it is a PNG of w x h > 0.
bool valid_png(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return false;
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  bool ok = png_image_begin_read_from_stdio(&img, f) != 0;
  std::vector<uint8_t> px;
  if (ok) {
    img.format = PNG_FORMAT_RGB;
    px.resize(PNG_IMAGE_SIZE(img));
    ok = png_image_finish_read(&img, nullptr, px.data(), 0, nullptr) != 0;
  }
  png_image_free(&img);
  std::fclose(f);
  return ok && img.width > 0 && img.height > 0;
}

const char* teams_csv = "id,average_attendance\n1,100\n2,200\n3,300\n";
const char* players_csv = "id,average_player_age\n2,25.5\n3,26\n4,27\n";

} // namespace

TEST_CASE("a feature store script runs end to end and writes valid PNGs", "[fs][cli]") {
  temp_dir d;
  std::string data = d.path() + "/data";
  auto teams = d.write("teams.csv", teams_csv);
  auto players = d.write("players.csv", players_csv);
  auto script = d.write(
    "fs.lagom",
    "create_featuregroup eit_school from=random:20x10 seed=7\n"
    "get_featuregroup eit_school show 5\n"
    "featuregroup_stats eit_school\n"
    "visualize_correlations eit_school\n"
    "visualize_distributions eit_school\n"
    "insert_into_featuregroup eit_school from=random:5x10 seed=8 mode=append\n"
    "create_featuregroup teams from=\"" + teams + "\" key=id\n"
    "create_featuregroup players from=\"" + players + "\" key=id\n"
    "get_features [average_attendance, average_player_age]\n"
    "get_feature_vector players 4\n"
    "create_training_dataset td features=[col_0, col_1] label=col_2 "
    "splits=train:0.5,test:0.5 seed=1\n"
    "export_training_dataset td format=csv\n"
    "export_training_dataset td format=tfrecord split=test\n");
  auto r = lagom_cli(data, {"run", script});
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(has(r.output, "created feature group eit_school v1: 20 rows, 11 features (key index)"));
  CHECK(has(r.output, "index  col_0"));
  CHECK(has(r.output, "col_9"));
  CHECK(has(r.output, "FEATURE"));
  CHECK(has(r.output, "wrote " + data + "/plots/featurestore/eit_school/v1/correlations.png"));
  CHECK(has(r.output, "wrote 11 histograms under " + data +
                        "/plots/featurestore/eit_school/v1/distributions"));
  CHECK(has(r.output, "append 5 rows: eit_school v2: 25 rows, 11 features"));
  CHECK(has(r.output, "2 rows"));
  CHECK(has(r.output, "25.5"));
  CHECK(has(r.output, "created training dataset td v1: 2 features, label col_2, train 12, test 13 rows"));
  CHECK(has(r.output, "wrote " + data + "/exports/td/v1/train.csv"));
  CHECK(has(r.output, "wrote " + data + "/exports/td/v1/test.tfrecord"));
  CHECK(valid_png(data + "/plots/featurestore/eit_school/v1/correlations.png"));
  CHECK(valid_png(data + "/plots/featurestore/eit_school/v1/distributions/col_0.png"));
  CHECK(valid_png(data + "/plots/featurestore/eit_school/v1/distributions/index.png"));
  std::ifstream csv(data + "/exports/td/v1/train.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "col_0,col_1,col_2");

  // The command line sees what the script stored.
  auto list = lagom_cli(data, {"fs", "list"});
  INFO(list.output);
  CHECK(list.code == 0);
  CHECK(has(list.output, "eit_school"));
  CHECK(has(list.output, "players"));
  auto show = lagom_cli(data, {"fs", "show", "teams", "--rows", "2"});
  CHECK(show.code == 0);
  CHECK(has(show.output, "average_attendance"));
  CHECK(has(show.output, "200"));
  CHECK_FALSE(has(show.output, "300"));
  auto stats = lagom_cli(data, {"fs", "stats", "players"});
  CHECK(stats.code == 0);
  CHECK(has(stats.output, "average_player_age"));
  auto versions = lagom_cli(data, {"fs", "versions", "teams"});
  CHECK(versions.code == 0);
  CHECK(has(versions.output, "create"));
  auto drop = lagom_cli(data, {"fs", "drop", "teams"});
  CHECK(drop.code == 0);
  auto gone = lagom_cli(data, {"fs", "show", "teams"});
  CHECK(gone.code == 1);
  CHECK(has(gone.output, "teams"));
}

TEST_CASE("a bad feature store line stops the script before anything runs", "[fs][cli]") {
  temp_dir d;
  std::string data = d.path() + "/data";
  auto script = d.write("bad.lagom",
                        "create_featuregroup ok from=random:4x2\n"
                        "insert_into_featuregroup ok from=random:4x2 mode=merge\n");
  auto r = lagom_cli(data, {"run", script});
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(has(r.output, script + ":2:50: mode must be append, overwrite or upsert, got 'merge'"));
  auto list = lagom_cli(data, {"fs", "list"});
  CHECK(has(list.output, "(no feature groups)"));

  auto runtime = d.write("rt.lagom",
                         "create_featuregroup ok from=random:4x2\n"
                         "get_featuregroup nope show 3\n");
  auto r2 = lagom_cli(data, {"run", runtime});
  INFO(r2.output);
  CHECK(r2.code == 1);
  CHECK(has(r2.output, runtime + ":2"));
  CHECK(has(r2.output, "nope"));
  auto missing = d.write("m.lagom", "create_featuregroup m from=/no/such/file.csv\n");
  auto r3 = lagom_cli(data, {"run", missing});
  CHECK(r3.code == 1);
  CHECK(has(r3.output, "/no/such/file.csv"));
  auto unknown = lagom_cli(data, {"fs", "frobnicate"});
  CHECK(unknown.code == 2);
}
