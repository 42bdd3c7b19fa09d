// The feature store's script commands: every form with the seed's names,
// and bad lines refused at FILE:LINE:COL before anything runs.
#include <catch2/catch.hpp>

#include "cli/script/commands.hpp"
#include "command_checks.hpp"

using namespace lagom;
using namespace lagom::script;
using namespace lagom::script::test;

TEST_CASE("feature group commands parse with the seed's names", "[commands][fs]") {
  auto c = command_ok<create_featuregroup_cmd>(
    "create_featuregroup eit_school from=random:20x10 seed=7");
  CHECK(c.name == "eit_school");
  CHECK(c.source == "random:20x10");
  CHECK(c.seed == 7);
  auto k = command_ok<create_featuregroup_cmd>(
    "create_featuregroup games from=data/games.csv key=[team, season] event_time=ts "
    "correlations=no");
  CHECK(k.source == "data/games.csv");
  CHECK(k.key == std::vector<std::string>{"team", "season"});
  CHECK(k.event_time == "ts");
  CHECK_FALSE(k.correlations);
  auto idx = command_ok<create_featuregroup_cmd>(
    "create_featuregroup fashion from=idx:/usr/share/datasets/fashion-mnist:t10k");
  CHECK(idx.source == "idx:/usr/share/datasets/fashion-mnist:t10k");
  auto ins = command_ok<insert_featuregroup_cmd>(
    "insert_into_featuregroup games from=\"more games.csv\" mode=upsert");
  CHECK(ins.source == "more games.csv");
  CHECK(ins.mode == "upsert");
  auto g = command_ok<get_featuregroup_cmd>("get_featuregroup eit_school version=2 show 5");
  CHECK(g.version == 2);
  CHECK(g.show == 5);
  auto f = command_ok<get_features_cmd>(
    "get_features [average_attendance, players.average_player_age] join=left");
  CHECK(f.features == std::vector<std::string>{"average_attendance", "players.average_player_age"});
  CHECK(f.left);
  auto v = command_ok<get_feature_vector_cmd>("get_feature_vector players 42 \"x y\"");
  REQUIRE(v.key.size() == 2);
  CHECK(std::get<int64_t>(v.key[0]) == 42);
  CHECK(std::get<std::string>(v.key[1]) == "x y");
  CHECK(command_ok<visualize_cmd>("visualize_correlations eit_school").correlations);
  CHECK_FALSE(command_ok<visualize_cmd>("visualize_distributions eit_school").correlations);
  auto td = command_ok<create_training_dataset_cmd>(
    "create_training_dataset td features=[col_0, col_1] label=col_2 "
    "splits=train:0.6,validation:0.2,test:0.2 seed=3");
  CHECK(td.features.size() == 2);
  CHECK(td.label == "col_2");
  REQUIRE(td.splits.size() == 3);
  CHECK(td.splits[1].first == "validation");
  CHECK(td.splits[1].second == Approx(0.2));
  auto ex = command_ok<export_training_dataset_cmd>("export_training_dataset td format=tfrecord");
  CHECK(ex.format == "tfrecord");
  CHECK(ex.split == "train");
  CHECK(command_ok<featuregroup_admin_cmd>("drop_featuregroup td").action == "drop");
}

TEST_CASE("bad feature store lines are refused naming line and column", "[commands][fs]") {
  CHECK(error_of("create_featuregroup eit_school") ==
        "run.lagom:1:1: create_featuregroup needs from=SOURCE: create_featuregroup NAME "
        "from=FILE.csv|FILE.npy|idx:DIR|random:ROWSxCOLS [key=COL|key=[A, B]] "
        "[event_time=COL] [seed=N] [correlations=no]");
  CHECK(error_of("create_featuregroup bad-name from=x.csv").find("run.lagom:1:21:") == 0);
  CHECK(error_of("create_featuregroup g from=x.csv sed=1").find(
          "run.lagom:1:34: unknown option 'sed' of create_featuregroup; did you mean 'seed'?") == 0);
  CHECK(error_of("create_featuregroup g from=x.csv seed=1 seed=2").find("run.lagom:1:41:") == 0);
  CHECK(error_of("insert_into_featuregroup g from=x.csv mode=merge").find(
          "run.lagom:1:44: mode must be append, overwrite or upsert") == 0);
  CHECK(error_of("get_featuregroup g show x").find("run.lagom:1:25: show must be an integer") == 0);
  CHECK(error_of("get_features [a, b").find("unterminated '['") != std::string::npos);
  CHECK(error_of("get_features [a b]").find("run.lagom:1:17: expected ',' or ']'") == 0);
  CHECK(error_of("create_training_dataset td features=[a] label=b splits=train:0.8,test:0.1")
          .find("split fractions sum to 0.9") != std::string::npos);
  CHECK(error_of("create_training_dataset td features=[a]").find("needs label=") !=
        std::string::npos);
  CHECK(error_of("export_training_dataset td format=parquet").find(
          "run.lagom:1:35: format must be csv, npy or tfrecord") == 0);
  CHECK(error_of("get_feature_vector g 1.5").find("run.lagom:1:22: a number key must be an integer") == 0);
}

TEST_CASE("featuregroup_stats takes a version and the features to print", "[commands][fs]") {
  auto all = command_ok<featuregroup_stats_cmd>("featuregroup_stats fashion");
  CHECK(all.features.empty());
  CHECK(all.version == 0);
  auto some = command_ok<featuregroup_stats_cmd>(
    "featuregroup_stats fashion features=[label, image_406] version=2");
  CHECK(some.features == std::vector<std::string>{"label", "image_406"});
  CHECK(some.version == 2);
  CHECK(command_ok<featuregroup_stats_cmd>("featuregroup_stats fashion features=label").features ==
        std::vector<std::string>{"label"});
  CHECK(error_of("featuregroup_stats fashion features=[]").find(
          "run.lagom:1:37: features list is empty") == 0);
  CHECK(error_of("featuregroup_stats fashion feature=[id]").find(
          "run.lagom:1:28: unknown option 'feature' of featuregroup_stats; did you mean "
          "'features'?") == 0);
}
