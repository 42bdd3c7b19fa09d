// The seed's workshop end to end, reduced (the 10,000 t10k images, 2,000
// training samples, 1 epoch, 4 ASHA trials of budget 1 and 2), through both
// faces: examples/workshop.lagom run by the `lagom` binary and
// examples/workshop.cpp, each with the same NAME=VALUE parameters. Every
// exercise's output is checked: hello from every container, the 5-row table,
// the heatmap PNG (signature, chunk CRCs, IHDR, IEND), Fashion-MNIST's
// statistics, the training dataset's splits, the data-parallel job's ranks,
// accuracy, checkpoint and TensorBoard files, the search's trials and its
// ASHA promotion, and the experiments at the end.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>

#include "child_process.hpp"

using namespace lagom::test;
namespace fs = std::filesystem;

namespace {

const std::string lagom_bin = LAGOM_BINARY;
const std::string source_dir = LAGOM_SOURCE_DIR;

// The reduced run: the same parameters for the script and the C++ driver.
const std::vector<std::string> reduced = {
  "images=idx:/usr/share/datasets/fashion-mnist:t10k", "epochs=1", "train_limit=2000",
  "trials=4", "trial_epochs=2", "trial_limit=1000"};

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1))
    ++n;
  return n;
}

uint32_t crc32(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// A PNG file read chunk by chunk: signature, every chunk's CRC, IHDR first
// with a non-empty image, IDAT present, IEND last. Returns "" or what is wrong.
std::string png_problem(const std::string& path, uint32_t* width, uint32_t* height) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 8 || !std::equal(sig, sig + 8, b.begin()))
    return "no PNG signature (" + std::to_string(b.size()) + " bytes)";
  size_t at = 8;
  std::vector<std::string> chunks;
  while (at + 12 <= b.size()) {
    uint32_t len = be32(&b[at]);
    if (at + 12 + len > b.size())
      return "chunk past the end of the file";
    std::string type(b.begin() + long(at) + 4, b.begin() + long(at) + 8);
    if (crc32(&b[at + 4], 4 + len) != be32(&b[at + 8 + len]))
      return "bad CRC in chunk " + type;
    if (type == "IHDR" && len >= 8) {
      *width = be32(&b[at + 8]);
      *height = be32(&b[at + 12]);
    }
    chunks.push_back(type);
    at += 12 + len;
  }
  if (at != b.size())
    return "trailing bytes";
  if (chunks.empty() || chunks.front() != "IHDR" || chunks.back() != "IEND")
    return "IHDR not first or IEND not last";
  if (std::find(chunks.begin(), chunks.end(), "IDAT") == chunks.end())
    return "no IDAT";
  if (*width == 0 || *height == 0)
    return "empty image";
  return "";
}

void check_png(const std::string& output) {
  std::smatch m;
  REQUIRE(std::regex_search(output, m, std::regex("wrote (\\S+/plots/featurestore/eit_school/v1/"
                                                  "correlations\\.png)")));
  uint32_t w = 0, h = 0;
  CHECK(png_problem(m[1], &w, &h) == "");
  CHECK(w >= 100);
  CHECK(h >= 100);
}

// Six containers (3 nodes x 2 cpus), each saying hello once with its rank.
void check_hello(const std::string& all) {
  const std::string output = all.substr(0, all.find("eit_school"));
  for (int r = 0; r < 6; ++r) {
    std::string node = "node-" + std::to_string(r / 2 + 1);
    CHECK(count(output, "Hello from cpu on " + node + ", rank " + std::to_string(r) + "/6") == 1);
  }
}

// show(5): the header, then rows 0 to 4 and no row 5, as the seed's matrix
// of mt19937_64(7) gives them (row 0 starts 0.754385).
void check_table(const std::string& output) {
  auto at = output.find("index  col_0");
  REQUIRE(at != std::string::npos);
  std::istringstream lines(output.substr(at));
  std::string line;
  std::getline(lines, line);
  CHECK(line.find("col_9") != std::string::npos);
  std::vector<std::string> rows;
  while (std::getline(lines, line) && std::regex_search(line, std::regex("^ +[0-9]+  ")))
    rows.push_back(line);
  REQUIRE(rows.size() == 5);
  for (int i = 0; i < 5; ++i)
    CHECK(std::regex_search(rows[size_t(i)], std::regex("^ +" + std::to_string(i) + "  0\\.")));
  CHECK(rows[0].find("0.754385") != std::string::npos);
}

// ASHA's decisions in a trial list of (status, value, budget, config): every
// trial finished; budget 1 first; a budget-2 trial is a promotion: the
// configuration of a budget-1 trial that beat at least one other in its rung.
struct trial_row {
  double value = 0, budget = 0;
  std::string config;
};
// The trials `row` finds in `out`; its groups 2, 3 and 4 are the value, the
// budget and the hyperparameters.
std::vector<trial_row> trials_in(const std::string& out, const std::regex& row) {
  std::vector<trial_row> trials;
  for (std::sregex_iterator it(out.begin(), out.end(), row), end; it != end; ++it)
    trials.push_back({std::stod((*it)[2]), std::stod((*it)[3]), (*it)[4]});
  return trials;
}
void check_asha(const std::vector<trial_row>& trials) {
  REQUIRE(trials.size() == 4);
  std::vector<trial_row> rung0, rung1;
  for (auto& t : trials)
    (t.budget == 1 ? rung0 : rung1).push_back(t);
  REQUIRE(rung0.size() == 3);
  REQUIRE(rung1.size() == 1);
  CHECK(rung1[0].budget == 2);
  auto parent = std::find_if(rung0.begin(), rung0.end(),
                             [&](const trial_row& t) { return t.config == rung1[0].config; });
  REQUIRE(parent != rung0.end());
  CHECK(std::any_of(rung0.begin(), rung0.end(),
                    [&](const trial_row& t) { return t.value < parent->value; }));
}

// Files the data-parallel job left: one checkpoint per epoch (1), TensorBoard
// event files of both ranks; and the search's plots.
void check_files(const std::string& data) {
  size_t ckpts = 0;
  for (auto& e : fs::directory_iterator(data + "/checkpoints/workshop-cnn/0"))
    ckpts += e.path().extension() == ".lgck";
  CHECK(ckpts == 1);
  for (const char* run : {"run-0", "run-1"}) {
    std::string dir = data + "/tensorboard/workshop-cnn/" + run;
    REQUIRE(fs::is_directory(dir));
    bool events = false;
    for (auto& e : fs::directory_iterator(dir))
      events = events || (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0 &&
                          fs::file_size(e.path()) > 0);
    CHECK(events);
  }
  uint32_t w = 0, h = 0;
  CHECK(png_problem(data + "/plots/workshop-asha/optimization_history.png", &w, &h) == "");
}

double accuracy_of(const std::string& output, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(pattern)))
    return -1;
  return std::stod(m[1]);
}

} // namespace

TEST_CASE("the workshop script runs every exercise, reduced", "[workshop]") {
  temp_dir d;
  std::vector<std::string> args = {lagom_bin, "--data", d.path(), "run",
                                   source_dir + "/examples/workshop.lagom"};
  args.insert(args.end(), reduced.begin(), reduced.end());
  auto r = run(args, "", std::chrono::seconds(100));
  const std::string& out = r.output;
  INFO(out);
  REQUIRE(r.code == 0);

  check_hello(out);
  check_table(out);
  check_png(out);
  // Fashion-MNIST's statistics: the t10k labels are 1000 of each of 0..9.
  CHECK(out.find("created feature group fashion v1: 10000 rows, 3 features (key id)") !=
        std::string::npos);
  CHECK(std::regex_search(out, std::regex("\nlabel +10000 +0 +10 +4\\.5 +2\\.87228 +0 +9\n")));
  CHECK(std::regex_search(out, std::regex("\nimage_406 +10000 +0 +[0-9]+ +[0-9.]+ +[0-9.]+ +0 +255\n")));
  CHECK(out.find("created training dataset fashion_td v1: 784 features, label label, "
                 "train 8000, validation 1000, test 1000 rows") != std::string::npos);

  // The data-parallel job: 2 ranks of one generation over shared memory, an
  // epoch line, both ranks' rows, better than chance (0.1).
  CHECK(out.find("experiment workshop-cnn: 2 rank(s), backend shm, 1 generation(s)") !=
        std::string::npos);
  CHECK(std::regex_search(out, std::regex("\n +0 +node-\\d +\\d+ +1 +cpu +1 .*test_accuracy=")));
  CHECK(std::regex_search(out, std::regex("\n +1 +node-\\d +\\d+ +1 +cpu +1 .*test_accuracy=")));
  double acc = accuracy_of(out, "run 0 epoch 1/1 .* test_acc ([0-9.]+) ");
  CHECK(acc > 0.2);
  CHECK(std::regex_search(out, std::regex("\\[rank 0/2\\] epoch 1/1: loss")));  // logs tail=3

  // The search: its four trials in the sorted table and ASHA's promotion.
  check_asha(trials_in(out, std::regex("\n +(\\d+) +finished +([0-9.]+) +([0-9]+) +1 +node-\\d +"
                                      "[0-9.]+ m?s +(lr=\\S+ dropout3=\\S+)")));
  CHECK(out.find("search workshop-asha: 4 trials, 4 finished, 0 stopped early, 0 failed") !=
        std::string::npos);

  // The experiments table.
  CHECK(std::regex_search(out, std::regex("\nhello_gpu-\\S+ +train +hello_gpu +finished +6 ")));
  CHECK(std::regex_search(out, std::regex("\nworkshop-cnn +train +fashion_mnist_cnn +finished +2 ")));
  CHECK(std::regex_search(out, std::regex("\nworkshop-asha +search +fashion_mnist_cnn +finished +4 ")));
  check_files(d.path());
}

TEST_CASE("the workshop in C++ runs every exercise, reduced", "[workshop]") {
  temp_dir d;
  std::vector<std::string> args = {LAGOM_WORKSHOP_EXAMPLE, d.path()};
  args.insert(args.end(), reduced.begin(), reduced.end());
  auto r = run(args, "", std::chrono::seconds(100));
  const std::string& out = r.output;
  INFO(out);
  REQUIRE(r.code == 0);

  check_hello(out);
  check_table(out);
  check_png(out);
  CHECK(out.find("created feature group fashion v1: 10000 rows") != std::string::npos);
  CHECK(std::regex_search(out, std::regex("\nlabel +10000 +10 +4\\.5 +2\\.872 +0 +9\n")));
  CHECK(out.find("created training dataset fashion_td v1: 784 features, label label, "
                 "train 8000, validation 1000, test 1000 rows") != std::string::npos);

  CHECK(out.find("rank 0 of 2 on node-") != std::string::npos);
  CHECK(out.find("rank 1 of 2 on node-") != std::string::npos);
  double acc = accuracy_of(out, "epoch 1/1 .* test_acc ([0-9.]+) ");
  CHECK(acc > 0.2);

  check_asha(trials_in(
    out, std::regex("\ntrial (\\d+) finished ([0-9.]+) budget ([0-9]+) \\[(lr=\\S+ dropout3=\\S+)\\]")));
  CHECK(out.find("search workshop-asha: 4 trials, 4 finished, 0 stopped early, 0 failed") !=
        std::string::npos);

  CHECK(std::regex_search(out, std::regex("\nhello_gpu-\\S+ +train +hello_gpu +finished 6 runs")));
  CHECK(std::regex_search(out, std::regex("\nworkshop-cnn +train +fashion_mnist_cnn +finished 2 runs")));
  CHECK(std::regex_search(out, std::regex("\nworkshop-asha +search +fashion_mnist_cnn +finished 4 runs")));
  check_files(d.path());
}

TEST_CASE("the workshop refuses a parameter it does not have, before anything runs", "[workshop]") {
  temp_dir d;
  auto r = run({lagom_bin, "--data", d.path(), "run", source_dir + "/examples/workshop.lagom",
                "epoch=1"});
  INFO(r.output);
  CHECK(r.code == 2);
  CHECK(r.output.find("argument 'epoch=1': the script has no parameter 'epoch'; did you mean "
                      "'epochs'?") != std::string::npos);
  CHECK(r.output.find("Hello from") == std::string::npos);
  auto c = run({LAGOM_WORKSHOP_EXAMPLE, d.path(), "epochs=x"});
  CHECK(c.code == 2);
  CHECK(c.output.find("argument 'epochs=x': expected a whole number >= 0") != std::string::npos);
}

TEST_CASE("featuregroup_stats names a feature the statistics do not have", "[workshop]") {
  temp_dir d;
  auto script = d.write("s.lagom", "create_featuregroup g from=random:4x2 seed=1\n"
                                   "featuregroup_stats g features=[col_0, col_2]\n");
  auto r = run({lagom_bin, "--data", d.path() + "/data", "run", script});
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(r.output.find(script + ":2:1: g: no feature 'col_2' in the statistics; did you mean "
                      "'col_0'?") != std::string::npos);
  auto ok = run({lagom_bin, "--data", d.path() + "/data2", "run", d.write("t.lagom",
                 "create_featuregroup g from=random:4x2 seed=1\nfeaturegroup_stats g features=col_1\n")});
  INFO(ok.output);
  CHECK(ok.code == 0);
  CHECK(std::regex_search(ok.output, std::regex("\ncol_1 +4 +0 ")));
  CHECK(ok.output.find("col_0 ") == std::string::npos);
}
