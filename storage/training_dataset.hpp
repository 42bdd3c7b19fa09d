// storage/training_dataset: named, versioned training datasets made once from
// a feature query and a label, split by a seed, kept in the same shard as
// their feature groups, and read by rank r of N in a per-epoch order.
//
// Making one (create_training_dataset): the query runs once (the versions it
// read are recorded: the dataset never changes with later writes); the label
// is a feature named in the spec (added to the query when absent); the other
// non-key features become float32 columns of a row-major matrix (a vector
// feature gives `width` columns; int64 values converted; a null is NaN; a
// string feature is invalid_argument naming it). Labels stay int64 when the
// label is int64, else float32; a null label is invalid_argument naming the
// row. The rows are permuted by `seed` (a Fisher-Yates shuffle on
// mt19937_64: the same on every platform) and cut into the splits in the
// order given, floor(fraction * rows) each, the last taking the remainder.
// Each split is stored in chunks of about chunk_bytes (16 MiB unless told),
// in that order, in the same transaction as the dataset's record: whole or
// absent after a crash. Big chunks because a shuffled batch touches nearly
// every chunk once: with 1 MiB chunks the LMDB lookups of a 256-row batch
// cost a third of a Fashion-MNIST epoch's reads (bench_feature_store (c));
// a chunk is an LMDB overflow value read through the memory map, so only the
// rows asked for are touched however big it is.
//
// Key layout (in the shard's environment, layout version 1 of the feature store):
//   datasets        name | 0x00 | u32 version          dataset record
//   dataset_chunks  name | 0x00 | u32 version | u8 split | u32 chunk
//                                    rows x dim float32, then rows labels
//                                    (int64 or float32), little-endian
//
// Reading (training_dataset_reader): rank r of N, epoch e: the split's rows
// permuted by (seed, e), then every N-th starting at r, floor(rows / N) of
// them (the remainder is left out of that epoch so every rank takes as many
// steps) — PyTorch's DistributedSampler with drop_last. Only those rows'
// bytes are read. The same dataset version, seed, epoch, rank and world give
// the same rows in the same order.
//
// Threading: create_training_dataset as the feature store's writes. A reader
// holds no transaction between calls: each read_rows is one LMDB snapshot
// (never blocking writers); one call at a time per reader. The rows of a
// version never change, so calls see the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "storage/feature_query.hpp"
#include "storage/feature_store.hpp"

namespace lagom::storage {

struct split_spec {
  std::string name;
  double fraction = 0;
  uint64_t rows = 0;    ///< set when made
  uint32_t chunks = 0;  ///< set when made
};

struct training_dataset_spec {
  std::string name;
  feature_query query;
  std::string label;
  std::vector<split_spec> splits = {{"train", 0.8}, {"validation", 0.1}, {"test", 0.1}};
  uint64_t seed = 0;
  uint32_t version = 0;  ///< 0: newest + 1
  std::string description;
  uint64_t chunk_bytes = uint64_t{16} << 20;  ///< target chunk size (at least one row)
};

struct training_dataset_info {
  std::string name;
  uint32_t version = 0;
  int64_t created_ms = 0;
  uint64_t seed = 0;
  std::string description;
  std::vector<std::string> query;          ///< the feature names as asked
  std::map<std::string, uint32_t> groups;  ///< group -> version read
  std::vector<feature_spec> features;      ///< the feature columns, in matrix order
  uint32_t dim = 0;                        ///< float32 values per row
  feature_spec label;                      ///< int64 or float32
  std::vector<split_spec> splits;
  uint32_t rows_per_chunk = 0;

  /// The split named `name`, or -1.
  int split_index(const std::string& name) const noexcept;
};

/// Makes the dataset (see above). A name taken at that version is
/// invalid_argument; fractions must be positive and sum to 1 (within 1e-9),
/// split names check_feature_name and distinct.
status create_training_dataset(feature_store& fs, const training_dataset_spec& spec,
                               training_dataset_info* out = nullptr);

/// The second half of create_training_dataset, for a query run elsewhere
/// (the feature_store_router joins groups of several shards): `rows` are the
/// query's joined rows with the label among them, `resolved` its features
/// (resolve_features of the query with the label added) and `groups` the
/// version of each group read. Checks and stores as above.
status create_training_dataset_from_rows(feature_store& fs, const training_dataset_spec& spec,
                                         const std::vector<resolved_feature>& resolved,
                                         const std::map<std::string, uint32_t>& groups,
                                         const feature_frame& rows,
                                         training_dataset_info* out = nullptr);

/// The record of dataset `name` at `version` (0: the newest).
status describe_training_dataset(feature_store& fs, const std::string& name, uint32_t version,
                                 training_dataset_info* out);

/// Every dataset name and version, in key order.
status list_training_datasets(feature_store& fs, std::vector<training_dataset_info>* out);

/// One split of one dataset version, read by rows (see above).
class training_dataset_reader {
public:
  training_dataset_reader() = default;
  training_dataset_reader(training_dataset_reader&&) noexcept = default;
  training_dataset_reader& operator=(training_dataset_reader&&) noexcept = default;

  /// Opens split `split` of `name` at `version` (0: newest). The store must
  /// outlive the reader.
  static status open(feature_store& fs, const std::string& name, uint32_t version,
                     const std::string& split, training_dataset_reader* out);

  const training_dataset_info& info() const noexcept { return info_; }
  uint64_t rows() const noexcept { return rows_; }
  uint32_t dim() const noexcept { return info_.dim; }

  /// The rows rank `rank` of `world` reads in `epoch`, in order.
  std::vector<uint64_t> epoch_rows(uint64_t epoch, uint32_t rank, uint32_t world) const;

  /// Copies rows `rows` (in that order) into features (rows.size() x dim
  /// floats) and labels (an int64 label as a double, exact up to 2^53). A row
  /// past rows() is invalid_argument; a missing or short chunk io_error.
  status read_rows(const std::vector<uint64_t>& rows, float* features, double* labels) const;
  status read_rows(const std::vector<uint64_t>& rows, std::vector<float>* features,
                   std::vector<double>* labels) const;

private:
  training_dataset_info info_;
  int split_ = -1;
  uint64_t rows_ = 0;
  const lmdb_env* env_ = nullptr;
  db_handle chunks_db_;
};

/// The per-epoch permutation of `n` rows for `seed` and `epoch`.
std::vector<uint64_t> permutation(uint64_t n, uint64_t seed, uint64_t epoch);

} // namespace lagom::storage
