// The feature store's script commands: each is one or a few calls of
// lagom::feature_store; output is the storage core's table (show) or an
// aligned cli::table; a failure names the group or feature (the store's
// status) and stops the script.
#include <iomanip>
#include <sstream>

#include <unistd.h>

#include "cli/interpreter.hpp"
#include "cli/progress.hpp"
#include "cli/table.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::cli {

namespace {

std::string num(double v) {
  std::ostringstream os;
  os << std::setprecision(6) << v;
  return os.str();
}

storage::write_mode mode_of(const std::string& m) {
  return m == "overwrite" ? storage::write_mode::overwrite
         : m == "upsert"  ? storage::write_mode::upsert
                          : storage::write_mode::append;
}

std::string describe(const storage::version_info& v) {
  return v.group + " v" + std::to_string(v.version) + ": " + std::to_string(v.rows) + " rows, " +
         std::to_string(v.schema.columns.size()) + " features";
}

} // namespace

bool interpreter::is_feature_command(const script::command& cmd) {
  return std::holds_alternative<script::create_featuregroup_cmd>(cmd) ||
         std::holds_alternative<script::insert_featuregroup_cmd>(cmd) ||
         std::holds_alternative<script::get_featuregroup_cmd>(cmd) ||
         std::holds_alternative<script::featuregroup_stats_cmd>(cmd) ||
         std::holds_alternative<script::get_features_cmd>(cmd) ||
         std::holds_alternative<script::get_feature_vector_cmd>(cmd) ||
         std::holds_alternative<script::visualize_cmd>(cmd) ||
         std::holds_alternative<script::create_training_dataset_cmd>(cmd) ||
         std::holds_alternative<script::export_training_dataset_cmd>(cmd) ||
         std::holds_alternative<script::featuregroup_admin_cmd>(cmd);
}

status interpreter::execute_feature_command(const script::command& cmd) {
  auto fs = cluster_.feature_store();
  if (auto c = std::get_if<script::create_featuregroup_cmd>(&cmd)) {
    featuregroup_options o;
    o.primary_key = c->key;
    o.event_time = c->event_time;
    o.seed = c->seed;
    o.correlations = c->correlations;
    storage::version_info v;
    // A large write goes in parts: a progress bar while they are sent.
    fs.on_upload = upload_progress(out_, ::isatty(STDOUT_FILENO) != 0, c->name);
    if (auto st = fs.create_featuregroup_from(c->name, c->source, o, &v); !st)
      return st;
    out_ << "created feature group " << describe(v) << " (key "
         << (v.schema.primary_key.empty() ? "" : v.schema.primary_key[0]) << ")\n";
    return status::ok();
  }
  if (auto c = std::get_if<script::insert_featuregroup_cmd>(&cmd)) {
    storage::version_info v;
    fs.on_upload = upload_progress(out_, ::isatty(STDOUT_FILENO) != 0, c->name);
    if (auto st = fs.insert_from(c->name, c->source, mode_of(c->mode), c->seed, &v); !st)
      return st;
    out_ << c->mode << " " << v.rows_written << " rows: " << describe(v) << "\n";
    return status::ok();
  }
  if (auto c = std::get_if<script::get_featuregroup_cmd>(&cmd)) {
    storage::feature_frame f;
    if (auto st = fs.get_featuregroup(c->name, c->version, c->show, &f); !st)
      return st;
    out_ << storage::format_table(f, c->show);
    return status::ok();
  }
  if (auto c = std::get_if<script::featuregroup_stats_cmd>(&cmd)) {
    storage::feature_statistics s;
    if (auto st = fs.statistics(c->name, c->version, &s); !st)
      return st;
    std::vector<const storage::column_stats*> cols;
    for (const auto& col : s.columns)
      cols.push_back(&col);
    if (!c->features.empty()) {
      cols.clear();
      for (const auto& f : c->features) {
        const storage::column_stats* col = s.find(f);
        if (!col) {
          std::vector<std::string> names;
          for (const auto& x : s.columns)
            names.push_back(x.name);
          std::string close = script::suggest(f, names);
          return status::error(errc::not_found,
                               "no feature '" + f + "' in the statistics" +
                                 (close.empty() ? "" : "; did you mean '" + close + "'?"),
                               c->name);
        }
        cols.push_back(col);
      }
    }
    table t({"FEATURE", "COUNT", "NULLS", "DISTINCT", "MEAN", "STDDEV", "MIN", "MAX"});
    for (const auto* colp : cols) {
      const auto& col = *colp;
      if (!col.numeric) {
        t.add_row({col.name, std::to_string(col.count), std::to_string(col.nulls),
                   std::to_string(col.distinct())});
        continue;
      }
      t.add_row({col.name, std::to_string(col.count), std::to_string(col.nulls),
                 std::to_string(col.distinct()), num(col.mean), num(col.stddev()), num(col.min),
                 num(col.max)});
    }
    out_ << t;
    return status::ok();
  }
  if (auto c = std::get_if<script::get_features_cmd>(&cmd)) {
    storage::feature_query q;
    q.features = c->features;
    q.join = c->left ? storage::join_kind::left : storage::join_kind::inner;
    storage::feature_frame f;
    if (auto st = fs.get_features(q, &f); !st)
      return st;
    out_ << storage::format_table(f, c->show) << f.rows() << " rows\n";
    return status::ok();
  }
  if (auto c = std::get_if<script::get_feature_vector_cmd>(&cmd)) {
    storage::key_value key;
    for (const auto& p : c->key)
      std::visit([&](const auto& x) { key.emplace_back(x); }, p);
    storage::feature_frame f;
    bool found = false;
    if (auto st = fs.get_feature_vector(c->group, key, &f, &found); !st)
      return st;
    if (!found)
      return status::error(errc::not_found, "no row with this key", c->group);
    out_ << storage::format_table(f, 1);
    return status::ok();
  }
  if (auto c = std::get_if<script::create_training_dataset_cmd>(&cmd)) {
    storage::training_dataset_spec spec;
    spec.name = c->name;
    spec.query.features = c->features;
    spec.label = c->label;
    spec.splits.clear();
    for (const auto& [n, f] : c->splits)
      spec.splits.push_back({n, f});
    spec.seed = c->seed;
    storage::training_dataset_info d;
    if (auto st = fs.create_training_dataset(spec, &d); !st)
      return st;
    out_ << "created training dataset " << d.name << " v" << d.version << ": " << d.dim
         << " features, label " << d.label.name;
    for (const auto& s : d.splits)
      out_ << ", " << s.name << " " << s.rows;
    out_ << " rows\n";
    return status::ok();
  }
  if (auto c = std::get_if<script::export_training_dataset_cmd>(&cmd)) {
    auto format = c->format == "npy"        ? storage::export_format::npy
                  : c->format == "tfrecord" ? storage::export_format::tfrecord
                                            : storage::export_format::csv;
    std::vector<std::string> written;
    if (auto st = fs.export_training_dataset(c->name, c->version, c->split, format, c->path,
                                             &written);
        !st)
      return st;
    for (const auto& p : written)
      out_ << "wrote " << p << "\n";
    return status::ok();
  }
  if (auto c = std::get_if<script::featuregroup_admin_cmd>(&cmd)) {
    if (c->action == "drop") {
      if (auto st = fs.drop(c->name); !st)
        return st;
      out_ << "dropped feature group " << c->name << "\n";
      return status::ok();
    }
    std::vector<storage::version_info> vs;
    auto st = c->action == "list" ? fs.list(&vs) : fs.versions(c->name, &vs);
    if (!st)
      return st;
    table t({"GROUP", "VERSION", "MODE", "ROWS", "WRITTEN", "FEATURES", "KEY", "CREATED"});
    for (const auto& v : vs) {
      std::string key;
      for (const auto& k : v.schema.primary_key)
        key += (key.empty() ? "" : ",") + k;
      t.add_row({v.group, std::to_string(v.version), storage::to_string(v.mode),
                 std::to_string(v.rows), std::to_string(v.rows_written),
                 std::to_string(v.schema.columns.size()), key, format_timestamp(v.created_ms)});
    }
    out_ << t;
    if (vs.empty())
      out_ << "(no feature groups)\n";
    return status::ok();
  }
  const auto& v = std::get<script::visualize_cmd>(cmd);
  if (v.correlations) {
    std::string path;
    if (auto st = fs.visualize_correlations(v.name, v.version, &path); !st)
      return st;
    out_ << "wrote " << path << "\n";
    return status::ok();
  }
  std::vector<std::string> paths;
  if (auto st = fs.visualize_distributions(v.name, v.version, &paths); !st)
    return st;
  out_ << "wrote " << paths.size() << " histograms under "
       << paths.front().substr(0, paths.front().rfind('/')) << "\n";
  return status::ok();
}

} // namespace lagom::cli
