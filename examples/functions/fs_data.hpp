// fs_data: the shipped Fashion-MNIST models' data from a training dataset of
// the feature store (`data=fs:NAME[:VERSION]`, storage/training_dataset.hpp)
// instead of IDX files.
//
// A dataset fits when its rows are 784 float values (a 28x28 image: made from
// a group created `from=idx:...`, whose u8 pixels the dataset keeps as 0..255)
// and its label is int64 in 0..9; it needs a split named "train" and one
// named "test" (else "validation") for evaluation. Images become pixel / 255
// in float32, exactly as data::load_fashion_mnist makes them.
//
// Training: in epoch e, rank r of N reads only its shard, the rows
// training_dataset_reader::epoch_rows(e, r, N) of the train split (the
// dataset's seeded per-epoch order, every N-th row, floor(rows / N) each:
// every rank takes as many steps); `limit` > 0 keeps the first limit / N of
// them. Evaluation: the whole eval split, in stored order.
//
// Reads go through the run's train_services (a bounded request per <= 16 MiB
// of rows, by way of the trainer_worker to the head's feature_store_router)
// and are kept in a data::dataset_cache of the process, keyed by the
// dataset's name, version, creation time, split, epoch, rank and world: the
// trials of a search fetch each epoch once.
//
// Errors name `data` and the dataset: not a valid name or version, unknown
// dataset, rows that are not 28x28 images, labels that are not classes.
// Threading: called from a train function's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/dataset_cache.hpp"
#include "lagom/train.hpp"

namespace lagom::examples {

struct fs_dataset {
  std::string name;
  training_dataset_shape shape;   ///< version resolved
  uint64_t train_rows = 0;        ///< of the train split
  std::string eval_split;         ///< "test", else "validation"
};

/// True when `data` names a feature store dataset ("fs:...").
bool is_fs_data(const std::string& data);

/// Parses `data` = fs:NAME[:VERSION] and asks the store for the dataset;
/// checks it fits (see above).
status open_fs_dataset(train_context& ctx, const std::string& data, fs_dataset* out);

/// This rank's rows of the train split in `epoch` (at most `limit` / world
/// when limit > 0), as images and labels in the order read.
status fs_train_epoch(train_context& ctx, data::dataset_cache& cache, const fs_dataset& ds,
                      uint64_t epoch, uint64_t limit, std::shared_ptr<const data::dataset>& out);

/// The eval split, whole, in stored order.
status fs_eval_split(train_context& ctx, data::dataset_cache& cache, const fs_dataset& ds,
                     std::shared_ptr<const data::dataset>& out);

/// The rows rank r of `world` reads per epoch (limit as fs_train_epoch).
uint64_t fs_rows_per_rank(const fs_dataset& ds, uint32_t world, uint64_t limit);

} // namespace lagom::examples
