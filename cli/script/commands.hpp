// script commands: the command table, and validation of a parsed statement
// into a typed command struct.
//
// Commands of the spine:
//   launch FN [on N|on all] [gang] [pack|spread] [cpus=K] [gpus=G]
//          [memory=MB] [key=value ...]
//   status
//   experiments
//   show EXPERIMENT
//   logs EXPERIMENT [RUN] [tail=N]
//   help [COMMAND]
//   quit | exit
// launch's options may come in any order after FN, each at most once;
// pack and spread exclude each other. cpus, gpus and memory are reserved keys
// and take non-negative integers; any other key=value is a parameter passed
// to FN, a number value becoming a double and a word or string a string.
// An EXPERIMENT is a word, string or number token (its text as written);
// RUN a non-negative integer; tail a non-negative integer (0: every record).
//
// Errors are status values with errc::invalid_argument and where =
// "source:line:col" of the offending token (the verb for a wrong verb), e.g.
//   run.lagom:2:1: unknown command 'lanch'; did you mean 'launch'?
//   run.lagom:4:15: cpus must be a non-negative integer, got 'x'
//
// Adding a command: define its struct (with a `location loc`), add it to
// `command`, write a parse function and add one row to the table in
// commands.cpp. help, the did-you-mean suggestion and completion follow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cli/script/parser.hpp"
#include "core/suggest.hpp"
#include "lagom/search.hpp"
#include "lagom/status.hpp"

namespace lagom::script {

/// A launch parameter: a number (always a double) or a string.
using param_value = std::variant<double, std::string>;

/// A string as is; a number as the shortest text that reads back as it, in
/// %g style: 0.0001, 40, 1e-05, 2.5e+10.
std::string to_string(const param_value& value);

struct launch_cmd {
  std::string function;
  uint32_t count = 1;      ///< containers to start; 0 with `all`
  bool all = false;        ///< `on all` was given (then count is 0)
  bool gang = false;       ///< all containers or none
  bool spread = false;     ///< spread placement; false = pack (the default)
  uint32_t cpus = 1;       ///< per container
  uint32_t gpus = 0;       ///< per container
  uint64_t memory_mb = 0;  ///< per container; 0 = no reservation
  std::vector<std::pair<std::string, param_value>> params;  ///< in order
  location loc;
};

/// all_reduce FN workers=N [gpus=G] [bucket_mb=B] [accumulate=K] [sync_bn=true]
///   [min_workers=M] [timeline=true] [cpus=K] [memory=MB] [max_restarts=R]
///   [collective_timeout=S] [backend=auto|shm|gloo|nccl] [pack|spread] [key=value ...]:
/// a data-parallel job (collective_all_reduce is the same command). Reserved
/// keys are checked here (workers >= 1, min_workers <= workers, bucket_mb > 0,
/// accumulate >= 1, sync_bn/timeline true or false, backend one of four);
/// the rest are FN's hyperparameters.
struct all_reduce_cmd {
  std::string function;
  uint32_t workers = 1, min_workers = 0, cpus = 1, gpus = 0, accumulate = 1;
  uint32_t max_restarts = 3;
  uint64_t memory_mb = 0;
  double bucket_mb = 25, collective_timeout_s = 60;
  bool sync_bn = false, timeline = false, spread = false;
  std::string backend = "auto";
  std::vector<std::pair<std::string, param_value>> params;  ///< in order
  location loc;
};

/// search FN [key=value ...] space { ... } (see search_command.cpp).
struct search_cmd {
  std::string function;
  tuning::searchspace space;
  search_options opts;
  location loc;
};

/// resume EXPERIMENT: continue a search whose driver died.
struct resume_cmd {
  std::string experiment;
  location loc;
};

struct status_cmd {
  location loc;
};

struct experiments_cmd {
  location loc;
};

struct show_cmd {
  std::string experiment;
  location loc;
};

struct logs_cmd {
  std::string experiment;
  bool has_run = false;  ///< a RUN was given: only its records
  uint32_t run = 0;
  uint32_t tail = 0;     ///< the newest N records; 0 = all
  location loc;
};

// The feature store (feature_commands.cpp). A SOURCE is FILE.csv, FILE.npy,
// idx:DIR[:PREFIX] or random:ROWSxCOLS (storage/feature_source.hpp), written
// without spaces or as a string.
struct create_featuregroup_cmd {
  std::string name, source;
  std::vector<std::string> key;  ///< key=a or key=[a, b]
  std::string event_time;
  uint64_t seed = 0;
  bool correlations = true;      ///< correlations=no turns them off
  location loc;
};
struct insert_featuregroup_cmd {
  std::string name, source;
  std::string mode = "append";   ///< append | overwrite | upsert
  uint64_t seed = 0;
  location loc;
};
struct get_featuregroup_cmd {
  std::string name;
  uint32_t version = 0;
  uint64_t show = 20;
  location loc;
};
struct featuregroup_stats_cmd {
  std::string name;
  uint32_t version = 0;
  std::vector<std::string> features;  ///< features=[a, b]: only these statistic columns
  location loc;
};
struct get_features_cmd {
  std::vector<std::string> features;
  bool left = false;
  uint64_t show = 20;
  location loc;
};
struct get_feature_vector_cmd {
  std::string group;
  std::vector<std::variant<int64_t, std::string>> key;
  location loc;
};
struct visualize_cmd {
  std::string name;
  bool correlations = true;      ///< false: distributions
  uint32_t version = 0;
  location loc;
};
struct create_training_dataset_cmd {
  std::string name;
  std::vector<std::string> features;
  std::string label;
  std::vector<std::pair<std::string, double>> splits = {
    {"train", 0.8}, {"validation", 0.1}, {"test", 0.1}};
  uint64_t seed = 0;
  location loc;
};
struct export_training_dataset_cmd {
  std::string name;
  std::string format = "csv";    ///< csv | npy | tfrecord
  std::string split = "train";
  uint32_t version = 0;
  std::string path;              ///< empty: DATA/exports/NAME/vV/SPLIT
  location loc;
};
/// list_featuregroups | featuregroup_versions NAME | drop_featuregroup NAME
struct featuregroup_admin_cmd {
  std::string action;  ///< "list", "versions", "drop"
  std::string name;
  location loc;
};
struct help_cmd {
  std::string topic;  ///< a command name, or empty for the overview
  location loc;
};

struct quit_cmd {
  location loc;
};

using command = std::variant<launch_cmd, all_reduce_cmd, search_cmd, resume_cmd, status_cmd, experiments_cmd, show_cmd, logs_cmd,
                             help_cmd, quit_cmd, create_featuregroup_cmd,
                             insert_featuregroup_cmd, get_featuregroup_cmd,
                             featuregroup_stats_cmd, get_features_cmd, get_feature_vector_cmd,
                             visualize_cmd, create_training_dataset_cmd,
                             export_training_dataset_cmd, featuregroup_admin_cmd>;

status parse_search(const statement& st, command& out);
status parse_resume(const statement& st, command& out);
status parse_create_featuregroup(const statement& st, command& out);
status parse_insert_featuregroup(const statement& st, command& out);
status parse_get_featuregroup(const statement& st, command& out);
status parse_featuregroup_stats(const statement& st, command& out);
status parse_get_features(const statement& st, command& out);
status parse_get_feature_vector(const statement& st, command& out);
status parse_visualize(const statement& st, command& out);
status parse_create_training_dataset(const statement& st, command& out);
status parse_export_training_dataset(const statement& st, command& out);
status parse_featuregroup_admin(const statement& st, command& out);
status parse_all_reduce(const statement& st, command& out);

/// One row of the command table.
struct command_spec {
  const char* name;
  const char* synopsis;  ///< e.g. "help [COMMAND]"
  const char* summary;   ///< one line
  status (*parse)(const statement& st, command& out);
};

/// Every command, in the order help lists them.
const std::vector<command_spec>& command_table();

/// The row named `name`, or nullptr.
const command_spec* find_command(std::string_view name);

/// Every command name, in table order (for tab completion).
std::vector<std::string> command_names();

/// The command names that start with `prefix`, in table order.
std::vector<std::string> complete_command(std::string_view prefix);

/// Validates `st` against its verb's row and fills `out`. An unknown verb is
/// an error naming it, with a suggestion when a command name is close.
status to_command(const statement& st, command& out);

/// "synopsis\n  summary\n" for command `name`; empty when there is none.
std::string help_text(std::string_view name);

/// One line per command: synopsis and summary, aligned.
std::string help_overview();

// Did-you-mean lives in runtime/core (hyperparameter checks use it too).
using lagom::edit_distance;
using lagom::suggest;

} // namespace lagom::script
