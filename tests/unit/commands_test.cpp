// script commands: every command form, bad values with their locations,
// unknown verbs with suggestions, help text and completion.
#include <catch2/catch.hpp>

#include "cli/script/commands.hpp"
#include "command_checks.hpp"
#include "tuning/optimizer.hpp"

using namespace lagom;
using namespace lagom::script;
using namespace lagom::script::test;

TEST_CASE("launch FN alone takes the defaults", "[script][commands]") {
  auto l = command_ok<launch_cmd>("launch train");
  CHECK(l.function == "train");
  CHECK(l.count == 1);
  CHECK_FALSE(l.all);
  CHECK_FALSE(l.gang);
  CHECK_FALSE(l.spread);
  CHECK(l.cpus == 1);
  CHECK(l.gpus == 0);
  CHECK(l.memory_mb == 0);
  CHECK(l.params.empty());
  CHECK(l.loc.to_string() == "run.lagom:1:1");
}

TEST_CASE("launch with every option", "[script][commands]") {
  auto l = command_ok<launch_cmd>(
    "launch mnist.train on 8 gang spread cpus=4 gpus=1 memory=16384 lr=1e-4 opt=adam "
    "tag=\"run 1\" epochs=10");
  CHECK(l.function == "mnist.train");
  CHECK(l.count == 8);
  CHECK_FALSE(l.all);
  CHECK(l.gang);
  CHECK(l.spread);
  CHECK(l.cpus == 4);
  CHECK(l.gpus == 1);
  CHECK(l.memory_mb == 16384);
  REQUIRE(l.params.size() == 4);
  CHECK(l.params[0].first == "lr");
  CHECK(std::get<double>(l.params[0].second) == Approx(1e-4));
  CHECK(l.params[1] == std::pair<std::string, param_value>{"opt", std::string("adam")});
  CHECK(std::get<std::string>(l.params[2].second) == "run 1");
  CHECK(std::get<double>(l.params[3].second) == 10);
  CHECK(to_string(l.params[0].second) == "0.0001");
  CHECK(to_string(l.params[3].second) == "10");
  CHECK(to_string(l.params[1].second) == "adam");
  CHECK(to_string(param_value(1e-5)) == "1e-05");
  CHECK(to_string(param_value(0.1 + 0.2)) == "0.30000000000000004");
}

TEST_CASE("launch options come in any order", "[script][commands]") {
  auto l = command_ok<launch_cmd>("launch f cpus=0 pack lr=-0.5 on all gang");
  CHECK(l.all);
  CHECK(l.count == 0);
  CHECK(l.gang);
  CHECK_FALSE(l.spread);
  CHECK(l.cpus == 0);
  CHECK(std::get<double>(l.params.at(0).second) == -0.5);
  l = command_ok<launch_cmd>("launch f memory=18446744073709551615 on 4294967295");
  CHECK(l.memory_mb == 18446744073709551615ull);
  CHECK(l.count == 4294967295u);
}

TEST_CASE("launch: bad counts name 'on' and point at the value", "[script][commands]") {
  CHECK(error_of("launch f on 0") ==
        "run.lagom:1:13: 'on' needs a positive integer or 'all', got '0'");
  CHECK(error_of("launch f on -1") ==
        "run.lagom:1:13: 'on' needs a positive integer or 'all', got '-1'");
  CHECK(error_of("launch f on 2.5") ==
        "run.lagom:1:13: 'on' needs a positive integer or 'all', got '2.5'");
  CHECK(error_of("launch f on some") ==
        "run.lagom:1:13: 'on' needs a positive integer or 'all', got 'some'");
  CHECK(error_of("launch f on 4294967296") ==
        "run.lagom:1:13: 'on' needs a positive integer or 'all', got '4294967296'");
  CHECK(error_of("launch f on") == "run.lagom:1:10: 'on' needs a positive integer or 'all'");
  CHECK(error_of("launch f on 2 on 3") == "run.lagom:1:15: 'on' given twice");
}

TEST_CASE("launch: reserved keys need non-negative integers", "[script][commands]") {
  CHECK(error_of("launch f cpus=x") ==
        "run.lagom:1:15: cpus must be a non-negative integer, got 'x'");
  CHECK(error_of("launch f gpus=-1") ==
        "run.lagom:1:15: gpus must be a non-negative integer, got '-1'");
  CHECK(error_of("launch f memory=1.5") ==
        "run.lagom:1:17: memory must be a non-negative integer, got '1.5'");
  CHECK(error_of("launch f memory=1e3") ==
        "run.lagom:1:17: memory must be a non-negative integer, got '1e3'");
  CHECK(error_of("launch f cpus=\"4\"") ==
        "run.lagom:1:15: cpus must be a non-negative integer, got \"4\"");
  CHECK(error_of("launch f cpus=4294967296") ==
        "run.lagom:1:15: cpus must be a non-negative integer of at most 4294967295, "
        "got '4294967296'");
  CHECK(error_of("launch f memory=99999999999999999999") ==
        "run.lagom:1:17: memory must be a non-negative integer of at most "
        "18446744073709551615, got '99999999999999999999'");
}

TEST_CASE("launch: malformed forms", "[script][commands]") {
  CHECK(error_of("launch") ==
        "run.lagom:1:1: launch needs a function name: launch FN [on N|on all] [gang] "
        "[pack|spread] [cpus=K] [gpus=G] [memory=MB] [key=value ...]");
  CHECK(error_of("launch 3") == "run.lagom:1:8: function name must be a word, got '3'");
  CHECK(error_of("launch \"f\"") == "run.lagom:1:8: function name must be a word, got \"f\"");
  CHECK(error_of("launch on 3") == "run.lagom:1:8: launch needs a function name before 'on'");
  CHECK(error_of("launch f cpus=2 cpus=3") == "run.lagom:1:17: 'cpus' given twice");
  CHECK(error_of("launch f lr=1 lr=2") == "run.lagom:1:15: 'lr' given twice");
  CHECK(error_of("launch f cpus=") == "run.lagom:1:14: cpus= needs a value");
  CHECK(error_of("launch f x={ }") ==
        "run.lagom:1:12: value of 'x' must be a number, word or string, got '{'");
  CHECK(error_of("launch f gang=1") == "run.lagom:1:10: 'gang' is a launch option, not a key");
  CHECK(error_of("launch f gang gang") == "run.lagom:1:15: 'gang' given twice");
  CHECK(error_of("launch f pack spread") ==
        "run.lagom:1:15: 'spread' given after 'pack': choose one placement");
  CHECK(error_of("launch f fast") ==
        "run.lagom:1:10: unexpected 'fast' in launch; expected on N, gang, pack, spread "
        "or key=value");
  CHECK(error_of("launch f =3") ==
        "run.lagom:1:10: unexpected '=' in launch; expected on N, gang, pack, spread "
        "or key=value");
}

TEST_CASE("status, help, quit and exit", "[script][commands]") {
  auto s = command_ok<status_cmd>("  status");
  CHECK(s.loc.to_string() == "run.lagom:1:3");
  CHECK(command_ok<help_cmd>("help").topic.empty());
  CHECK(command_ok<help_cmd>("help launch").topic == "launch");
  command_ok<quit_cmd>("quit");
  command_ok<quit_cmd>("exit");
  CHECK(error_of("status now") == "run.lagom:1:8: status takes no arguments, got 'now'");
  CHECK(error_of("quit 1") == "run.lagom:1:6: quit takes no arguments, got '1'");
  CHECK(error_of("help a b") == "run.lagom:1:8: help takes at most one command name");
  CHECK(error_of("help 3") == "run.lagom:1:6: help takes a command name, got '3'");
  CHECK(error_of("help lanch") ==
        "run.lagom:1:6: unknown command 'lanch'; did you mean 'launch'?");
}

TEST_CASE("an unknown verb is named, with a suggestion when close", "[script][commands]") {
  CHECK(error_of("lanch f") == "run.lagom:1:1: unknown command 'lanch'; did you mean 'launch'?");
  CHECK(error_of("  luanch f") ==
        "run.lagom:1:3: unknown command 'luanch'; did you mean 'launch'?");
  CHECK(error_of("Launch f") == "run.lagom:1:1: unknown command 'Launch'; did you mean 'launch'?");
  CHECK(error_of("stats") == "run.lagom:1:1: unknown command 'stats'; did you mean 'status'?");
  CHECK(error_of("qit") == "run.lagom:1:1: unknown command 'qit'; did you mean 'quit'?");
  CHECK(error_of("deploy f") ==
        "run.lagom:1:1: unknown command 'deploy'; type 'help' for a list");
}

TEST_CASE("edit distance and suggestions", "[script][commands]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("launch", "launch") == 0);
  CHECK(edit_distance("lanch", "launch") == 1);
  CHECK(edit_distance("luanch", "launch") == 1);  // a swap counts once
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  std::vector<std::string> names{"launch", "status", "help", "quit", "exit"};
  CHECK(suggest("lnch", names) == "launch");
  CHECK(suggest("xit", names) == "exit");
  CHECK(suggest("ab", names).empty());
  CHECK(suggest("lxxxch", names).empty());
}

TEST_CASE("help text, names and completion come from the table", "[script][commands]") {
  CHECK(command_names() ==
        std::vector<std::string>{"launch", "all_reduce", "collective_all_reduce", "search",
                                 "resume", "status", "experiments", "show", "logs",
                                 "create_featuregroup", "insert_into_featuregroup",
                                 "get_featuregroup", "featuregroup_stats", "get_features",
                                 "get_feature_vector", "visualize_correlations",
                                 "visualize_distributions", "create_training_dataset",
                                 "export_training_dataset", "list_featuregroups",
                                 "featuregroup_versions", "drop_featuregroup", "help", "quit",
                                 "exit"});
  CHECK(complete_command("") == command_names());
  CHECK(complete_command("e") ==
        std::vector<std::string>{"experiments", "export_training_dataset", "exit"});
  CHECK(complete_command("l") ==
        std::vector<std::string>{"launch", "logs", "list_featuregroups"});
  CHECK(complete_command("z").empty());
  CHECK(help_text("help") == "help [COMMAND]\n  List the commands, or describe one.\n");
  CHECK(help_text("nope").empty());
  CHECK(find_command("status") != nullptr);
  CHECK(find_command("stat") == nullptr);
  std::string overview = help_overview();
  // Names are padded to the longest (insert_into_featuregroup) plus two spaces.
  CHECK(overview.find("  launch" + std::string(20, ' ') + "Start function FN") == 0);
  CHECK(overview.find("\n  help" + std::string(22, ' ') + "List the commands") !=
        std::string::npos);
  for (const auto& spec : command_table()) {
    CHECK(spec.parse != nullptr);
    CHECK(std::string(spec.synopsis).rfind(spec.name, 0) == 0);
  }
}

TEST_CASE("experiments, show and logs name an experiment, logs takes a run and a tail",
          "[script][commands]") {
  command_ok<experiments_cmd>("experiments");
  CHECK(command_ok<show_cmd>("show mnist-search").experiment == "mnist-search");
  CHECK(command_ok<show_cmd>("show \"with space\"").experiment == "with space");
  auto all = command_ok<logs_cmd>("logs mnist");
  CHECK(all.experiment == "mnist");
  CHECK_FALSE(all.has_run);
  CHECK(all.tail == 0);
  auto one = command_ok<logs_cmd>("logs mnist 3 tail=20");
  CHECK(one.has_run);
  CHECK(one.run == 3);
  CHECK(one.tail == 20);
  auto tail_only = command_ok<logs_cmd>("logs mnist tail=5");
  CHECK_FALSE(tail_only.has_run);
  CHECK(tail_only.tail == 5);

  CHECK(error_of("experiments x").find("run.lagom:1:13: experiments takes no arguments") == 0);
  CHECK(error_of("show").find("show needs an experiment name: show EXPERIMENT") !=
        std::string::npos);
  CHECK(error_of("show a b").find("run.lagom:1:8: show takes one experiment name") == 0);
  CHECK(error_of("logs").find("logs needs an experiment name") != std::string::npos);
  CHECK(error_of("logs m -1").find("run.lagom:1:8: RUN must be a non-negative integer") == 0);
  CHECK(error_of("logs m 1 2").find("run.lagom:1:10: unexpected") == 0);
  CHECK(error_of("logs m tail=x").find("tail must be a non-negative integer") !=
        std::string::npos);
  CHECK(error_of("logs m tail=1 tail=2").find("'tail' given twice") != std::string::npos);
}

TEST_CASE("search: options, fixed hyperparameters and a space over several lines") {
  auto cmd = command_ok<search_cmd>(
    "search fashion_mnist_mlp optimizer=asha trials=40 direction=max metric=accuracy "
    "resource=epochs reduction_factor=3 epochs=4 time_budget=1.5 space {\n"
    "  lr: double [1e-4, 1e-1] log; units: integer [32, 512]\n"
    "  opt: categorical [adam, sgd]; bs: discrete [32, 64, 128] }");
  CHECK(cmd.function == "fashion_mnist_mlp");
  CHECK(cmd.opts.optimizer == "asha");
  CHECK(cmd.opts.num_trials == 40);
  CHECK(cmd.opts.metric == "accuracy");
  CHECK(cmd.opts.resource == "epochs");
  CHECK(cmd.opts.optimizer_settings.number("reduction_factor", 0) == 3);
  CHECK(cmd.opts.params.number("epochs", 0) == 4);
  CHECK(cmd.opts.time_budget == std::chrono::milliseconds(1500));
  REQUIRE(cmd.space.size() == 4);
  CHECK(cmd.space.dims()[0].log);
  CHECK(cmd.space.dims()[1].kind == tuning::dim_kind::integer);
  CHECK(cmd.space.dims()[2].choices == std::vector<std::string>{"adam", "sgd"});
  CHECK(cmd.space.dims()[3].values == std::vector<double>{32, 64, 128});
}

TEST_CASE("search: categorical values may be numbers or words with dashes, as before") {
  auto cmd = command_ok<search_cmd>(
    "search f space { bs: categorical [32, 64]; opt: categorical [sgd-m, \"a b\"] }");
  REQUIRE(cmd.space.size() == 2);
  CHECK(cmd.space.dims()[0].choices == std::vector<std::string>{"32", "64"});
  CHECK(cmd.space.dims()[1].choices == std::vector<std::string>{"sgd-m", "a b"});
}

TEST_CASE("search: bad input names the line, column and dimension") {
  // The space is runtime/tuning's grammar: its errors, at the script's place.
  CHECK(error_of("search f space { lr: double [0.1, 0.01] }") ==
        "run.lagom:1:29: lr: empty range [0.1, 0.01]");
  CHECK(error_of("search f space { lr: double [-1, 1] log }").find("run.lagom:1:") == 0);
  CHECK(error_of("search f space { lr: double [-1, 1] log }").find(": lr: ") != std::string::npos);
  CHECK(error_of("search f space { lr: doubel [0, 1] }") ==
        "run.lagom:1:22: lr: unknown kind 'doubel'; did you mean 'double'?");
  CHECK(error_of("search f space { n: integer [1.5, 4] }") ==
        "run.lagom:1:30: n: not an integer '1.5'");
  CHECK(error_of("search f space {\n  x: double [0, 1]\n  y: double [0 1] }") ==
        "run.lagom:3:16: y: expected ',' or ']', got '1'");
  CHECK(error_of("search f space { x: double [0, 1] lg }") ==
        "run.lagom:1:35: x: unknown scale 'lg'; did you mean 'log'?");
  CHECK(error_of("search f trials=-1 space { x: double [0, 1] }").find(
          "trials must be a whole number") != std::string::npos);
  CHECK(error_of("search f direction=up space { x: double [0, 1] }") ==
        "run.lagom:1:20: direction must be max or min, got 'up'");
  CHECK(error_of("search f trials=4") == "run.lagom:1:1: search needs a space { NAME: KIND [A, B]; ... }");
  CHECK(error_of("search f trials=4 trials=5 space { x: double [0, 1] }") ==
        "run.lagom:1:19: 'trials' given twice");
  CHECK(error_of("resume") == "run.lagom:1:1: resume takes one experiment name: resume EXPERIMENT");
  CHECK(command_ok<resume_cmd>("resume s4").experiment == "s4");
}

TEST_CASE("help search lists each optimizer with the settings it declares") {
  std::string h = help_text("search");
  for (auto* o : tuning::optimizer_specs()) {
    CHECK(h.find(std::string("    ") + o->name + ": ") != std::string::npos);
    for (auto& s : o->settings)
      CHECK(h.find(std::string("      ") + s.name + "  ") != std::string::npos);
  }
  CHECK(h.find("grid_points  integer  default 5  [1, 1000]") != std::string::npos);
  CHECK(h.find("asha: ") != std::string::npos);
}

TEST_CASE("search: a setting only another optimizer declares is still read, the factory checks it") {
  auto cmd = command_ok<search_cmd>("search f optimizer=tpe n_startup_trials=3 space { x: double [0, 1] }");
  CHECK(cmd.opts.optimizer_settings.number("n_startup_trials", 0) == 3);
}

TEST_CASE("all_reduce takes the job's keys and passes the rest to FN", "[script][commands]") {
  auto d = command_ok<all_reduce_cmd>(
    "all_reduce fashion_mnist_cnn workers=4 gpus=1 bucket_mb=8.5 accumulate=2 sync_bn=true "
    "min_workers=2 timeline=true spread cpus=2 epochs=3 name=cnn");
  CHECK(d.function == "fashion_mnist_cnn");
  CHECK(d.workers == 4);
  CHECK(d.gpus == 1);
  CHECK(d.bucket_mb == 8.5);
  CHECK(d.accumulate == 2);
  CHECK(d.sync_bn);
  CHECK(d.min_workers == 2);
  CHECK(d.timeline);
  CHECK(d.spread);
  CHECK(d.cpus == 2);
  REQUIRE(d.params.size() == 2);
  CHECK(d.params[0].first == "epochs");
  CHECK(d.params[1].first == "name");
  auto alias = command_ok<all_reduce_cmd>("collective_all_reduce f workers=2");
  CHECK(alias.workers == 2);
  CHECK(alias.bucket_mb == 25);
  CHECK_FALSE(alias.sync_bn);
}

TEST_CASE("all_reduce: bad keys name the field and point at the value", "[script][commands]") {
  CHECK(error_of("all_reduce f workers=0").find(
          "run.lagom:1:22: workers must be an integer in [1, 4294967295], got") == 0);
  CHECK(error_of("all_reduce f workers=2 bucket_mb=0").find("run.lagom:1:34: bucket_mb must be a number > 0") == 0);
  CHECK(error_of("all_reduce f workers=2 bucket_mb=-1").find("bucket_mb must be") != std::string::npos);
  CHECK(error_of("all_reduce f workers=2 min_workers=3") ==
        "run.lagom:1:36: min_workers=3 is more than workers=2");
  CHECK(error_of("all_reduce f accumulate=0").find("accumulate must be an integer in [1,") !=
        std::string::npos);
  CHECK(error_of("all_reduce f sync_bn=yes").find("sync_bn must be true or false") !=
        std::string::npos);
  CHECK(error_of("all_reduce f workers=2 workers=3").find("'workers' given twice") !=
        std::string::npos);
  CHECK(error_of("all_reduce workers=2").find("needs a function name") != std::string::npos);
  CHECK(error_of("all_reduce").find("needs a function name") != std::string::npos);
}
