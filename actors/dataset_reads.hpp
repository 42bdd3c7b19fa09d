// dataset_reads: the frames of a train function's reads of a training
// dataset (data=fs:NAME, lagom/train.hpp training_dataset /
// read_training_rows), built and read for trainer_worker's train_services.
// The requests go by way of the run's trainer_worker to the head's
// feature_store_router, which hands them to the dataset's shard
// (feature_store_shard.hpp: fs_tdinfo, fs_tdread).
//
// Everything read from a frame is checked: feature bytes that do not match
// rows x dim, labels or row numbers of another count -> malformed_frame
// naming TrainingDatasetBatch. Errors name the dataset as data=fs:NAME.
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "lagom/status.hpp"
#include "lagom/train.hpp"
#include "wire/frame.hpp"

namespace lagom::actors {

/// A TrainingDatasetRequest naming dataset `name` at `version` (0: newest).
wire::frame dataset_info_request(const std::string& name, uint32_t version);
/// A TrainingDatasetInfo frame as the shape a train function sees.
status read_dataset_shape(const std::string& name, const wire::frame& f,
                          training_dataset_shape* out);

/// A TrainingDatasetRequest for `req` (stored order when req.world is 0).
wire::frame dataset_rows_request(const training_rows_request& req);
/// A TrainingDatasetBatch frame as rows.
status read_dataset_rows(const std::string& name, const wire::frame& f, training_rows* out);

} // namespace lagom::actors
