// lagom::feature_store: the feature store of a cluster, from C++ (the seed's
// featurestore.* calls). Get one from a cluster:
//
//   auto fs = c->feature_store();
//   lagom::storage::version_info v;
//   fs.create_featuregroup_from("eit_school", "random:20x10", {}, &v);
//   lagom::storage::feature_frame first;
//   fs.get_featuregroup("eit_school", 0, 5, &first);
//   std::puts(lagom::storage::format_table(first, 5).c_str());
//   std::string png;
//   fs.visualize_correlations("eit_school", 0, &png);   // DATA/plots/featurestore/...
//
// Values are the storage core's (storage/feature_frame.hpp, feature_store.hpp,
// feature_query.hpp, feature_stats.hpp, training_dataset.hpp).
//
// Every call is one or a few blocking requests to the head's
// feature_store_router (embedded: this process's), bounded by `timeout`;
// a remote cluster's get_feature_vector(s) go to the head's online door
// instead (actors/online_door.hpp: a kept TCP connection; timeout naming
// "online door HOST:PORT" when the head does not answer in time, io_error
// naming it when the connection broke and one reconnect failed), or the
// router when the head has no door (--tls, --online-listen off).
// Errors come back as a status naming the group, feature or field (the
// store's own errors, see storage/feature_store.hpp); a head without a
// feature store is unavailable. Plots are drawn in this process from the
// statistics the store keeps and written under DATA/plots/featurestore/
// (DATA: this process's data directory); each call says where it wrote.
//
// Threading: as lagom::cluster (one thread at a time, never inside an
// actor). The handle borrows the cluster: it must not outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/dataset_export.hpp"
#include "storage/feature_frame.hpp"
#include "storage/feature_query.hpp"
#include "storage/feature_stats.hpp"
#include "storage/feature_store.hpp"
#include "storage/training_dataset.hpp"

namespace lagom {

class cluster;

struct featuregroup_options {
  /// Key columns; empty: what the source brings (see storage/feature_source.hpp),
  /// else an added row index `index`.
  std::vector<std::string> primary_key;
  std::string event_time;
  std::string description;
  bool correlations = true;
  uint64_t seed = 0;   ///< for random: sources
  uint32_t version = 0;
};

class feature_store {
public:
  /// Creates group `name` from `rows` (version 1, statistics included).
  status create_featuregroup(const std::string& name, storage::feature_frame rows,
                             const featuregroup_options& o = {},
                             storage::version_info* out = nullptr);
  /// The seed's call with a matrix: rows x cols doubles, row-major, as
  /// columns col_0 .. col_{cols-1} keyed by an added row index `index`.
  status create_featuregroup(const std::string& name, const std::vector<double>& matrix,
                             size_t rows, size_t cols, const featuregroup_options& o = {},
                             storage::version_info* out = nullptr);
  /// From FILE.csv, FILE.npy, idx:DIR[:PREFIX] or random:RxC.
  status create_featuregroup_from(const std::string& name, const std::string& source,
                                  const featuregroup_options& o = {},
                                  storage::version_info* out = nullptr);

  /// A new version of `name` by append, overwrite or upsert.
  status insert(const std::string& name, storage::feature_frame rows, storage::write_mode mode,
                storage::version_info* out = nullptr);
  status insert_from(const std::string& name, const std::string& source, storage::write_mode mode,
                     uint64_t seed = 0, storage::version_info* out = nullptr);

  /// The newest version of every group, by name.
  status list(std::vector<storage::version_info>* out);
  /// Every version of `name`, oldest first.
  status versions(const std::string& name, std::vector<storage::version_info>* out);
  /// The first `n` rows of `name` at `version` (0: newest): show(n).
  status get_featuregroup(const std::string& name, uint32_t version, uint64_t n,
                          storage::feature_frame* out);
  /// Rows of a group as read_options say.
  status read(const std::string& name, const storage::read_options& o,
              storage::feature_frame* out);
  status statistics(const std::string& name, uint32_t version, storage::feature_statistics* out);
  /// Features of several groups, joined (storage/feature_query.hpp), across shards.
  status get_features(const storage::feature_query& q, storage::feature_frame* out);
  /// Online lookup: the newest row of `key` in `group` (found false: a null row).
  status get_feature_vector(const std::string& group, const storage::key_value& key,
                            storage::feature_frame* out, bool* found);
  status get_feature_vectors(const std::string& group, const std::vector<storage::key_value>& keys,
                             storage::feature_frame* out, std::vector<bool>* found);
  /// Removes `name` and every version.
  status drop(const std::string& name);

  // --- training datasets (storage/training_dataset.hpp) ----------------------

  /// Runs the query once across shards, splits by the seed, stores the dataset.
  status create_training_dataset(const storage::training_dataset_spec& spec,
                                 storage::training_dataset_info* out = nullptr);
  /// Dataset `name` at `version` (0: newest).
  status training_dataset(const std::string& name, uint32_t version,
                          storage::training_dataset_info* out);
  /// Exports a split (on the head's host: its shard writes the files).
  status export_training_dataset(const std::string& name, uint32_t version,
                                 const std::string& split, storage::export_format format,
                                 const std::string& path, std::vector<std::string>* written);
  /// Rows offset .. offset+count of what rank `rank` of `world` reads of
  /// `split` in `epoch` (training_dataset_reader::epoch_rows): features
  /// (rows x dim floats) and labels; *total gets the rank's rows in the epoch.
  status read_training_rows(const std::string& name, uint32_t version, const std::string& split,
                            uint64_t epoch, uint32_t rank, uint32_t world, uint64_t offset,
                            uint64_t count, std::vector<float>* features,
                            std::vector<double>* labels, uint64_t* total);

  /// The correlation heatmap of `name` at `version`: *path gets the PNG's path.
  status visualize_correlations(const std::string& name, uint32_t version, std::string* path);
  /// One histogram PNG per numeric statistic column (at most `max_plots`).
  status visualize_distributions(const std::string& name, uint32_t version,
                                 std::vector<std::string>* paths, size_t max_plots = 64);

  std::chrono::milliseconds timeout = std::chrono::minutes(5);
  /// A write whose rows take more than part_bytes goes as parts of about
  /// that size (the wire caps a frame at 64 MiB), staged by the group's
  /// shard and stored as one version by the last one: whole or not at all,
  /// also when this process dies mid-upload (storage/feature_upload.hpp).
  size_t part_bytes = size_t{16} << 20;
  /// Told (bytes sent, bytes in all) before the first part and after each
  /// request of a chunked write, on the caller's thread (a progress bar).
  std::function<void(uint64_t sent, uint64_t total)> on_upload;

private:
  friend class cluster;
  explicit feature_store(cluster* c) : c_(c) {}
  status write(const std::string& name, storage::write_mode mode,
               const storage::feature_schema* schema, const storage::feature_frame& rows,
               const featuregroup_options& o, storage::version_info* out);
  cluster* c_;
};

} // namespace lagom
