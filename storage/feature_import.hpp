// storage/feature_import: frames from an IDX image/label pair and from an
// in-memory matrix, the two sources that are not a text or .npy file
// (feature_csv.hpp and feature_npy.hpp read those).
//
// Keys. An IDX pair and a matrix have no key column of their own: both get
// an added int64 row index (0, 1, 2, ...) as their first column, named
// "id" for images and "index" for a matrix, and meant as the primary key.
// (hops-util-py made the array's first column the key, which for the seed's
// np.random.rand(20, 10) is a random float; lagom adds the row index instead.)
//
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <string>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

/// The images file (N x H x W, or N x D) and labels file (N) of an IDX pair
/// (MNIST, Fashion-MNIST; gzip or plain, see runtime/data/idx.hpp) as columns
/// id (int64 row index), image (u8_vector of H*W for ubyte images, else
/// f32_vector) and label (int64). Errors name the file: those of read_idx,
/// labels that are not 1-D integers, or counts that differ (invalid_argument,
/// where = the labels path).
status read_idx_pair(const std::string& images_path, const std::string& labels_path,
                     feature_frame* out);

/// A row-major `rows` x `cols` matrix as columns index (int64 row index) and
/// col_0 .. col_{cols-1} (float64): what create_featuregroup(np.random.rand(20,
/// 10), "eit_school") stores. cols above max_feature_columns - 1 is
/// invalid_argument.
status frame_from_matrix(const double* data, size_t rows, size_t cols, feature_frame* out);

/// Inserts an int64 column `name` holding 0, 1, ... as the first column;
/// invalid_argument when `frame` has a column of that name.
status add_row_index(feature_frame* frame, const std::string& name);

} // namespace lagom::storage
