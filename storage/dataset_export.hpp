// storage/dataset_export: a training dataset split written for other
// frameworks: CSV, NPY and TFRecord (tf.train.Example, the hops default).
//
// Every export writes the split's rows in stored order (the seeded split
// order; no epoch shuffle), features then label.
//  - CSV: a header of the feature columns (a vector feature v as v_0, v_1, ...)
//    then the label's name; floats with 9 significant digits (float32 exact).
//  - NPY: two files, `<stem>_features.npy` ('<f4', rows x dim) and
//    `<stem>_labels.npy` ('<i8' or '<f4', rows x 1).
//  - TFRecord: one record per row, each a serialized tf.train.Example whose
//    features map has one entry per feature column (a FloatList of its width,
//    in the dataset's feature order) and one for the label (an Int64List for an
//    int64 label, else a FloatList). Framing per record: u64 length, u32
//    masked CRC-32C of those 8 bytes, the bytes, u32 masked CRC-32C of the
//    bytes; all little-endian; mask(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
//
// Errors: an unknown dataset or split is not_found; a file that cannot be
// written is io_error naming it (a partial file may remain).
//
// Threading: as training_dataset_reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lagom/status.hpp"
#include "storage/training_dataset.hpp"

namespace lagom::storage {

enum class export_format : uint8_t { csv = 1, npy = 2, tfrecord = 3 };

/// Writes split `split` of dataset `name` at `version` (0: newest). `path`
/// is the file (CSV, TFRecord) or the stem (NPY). *written gets the paths.
status export_training_dataset(feature_store& fs, const std::string& name, uint32_t version,
                               const std::string& split, export_format format,
                               const std::string& path, std::vector<std::string>* written);

/// CRC-32C (Castagnoli) of `bytes`, and the TFRecord mask of a CRC.
uint32_t crc32c(std::string_view bytes) noexcept;
uint32_t masked_crc32c(std::string_view bytes) noexcept;

/// One row as a serialized tf.train.Example (see above).
std::string encode_example(const training_dataset_info& info, const float* features,
                           double label);

/// `record` framed as one TFRecord.
std::string tfrecord_frame(std::string_view record);

} // namespace lagom::storage
