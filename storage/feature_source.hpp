// storage/feature_source: the rows a `from=` names, as the shell, scripts and
// the C++ API write them:
//   FILE.csv          read_csv (types inferred)
//   FILE.npy          read_npy (columns col_0 .. col_{C-1})
//   idx:DIR           DIR/train-images-idx3-ubyte(.gz) + train-labels-...
//   idx:DIR:PREFIX    DIR/PREFIX-images-idx3-ubyte(.gz) + ... (t10k: the test set)
//   random:RxC        R x C uniform [0, 1) doubles from mt19937_64(seed), as
//                     frame_from_matrix (the seed's np.random.rand(R, C))
// Keys: an IDX pair has its row index `id`, a matrix (random, .npy) its row
// index `index` (added here for .npy); a CSV has what its header says.
// default_key gets the key a source brings ("id", "index"), or is emptied
// for CSV (the caller must name one, else the loader adds `index`).
//
// Errors: an unknown form is invalid_argument naming "from" and the forms;
// a bad size in random: names it (1 to 10^8 values); a file's error names the
// file (its own loader's messages, file:line:column for CSV).
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "lagom/status.hpp"
#include "storage/feature_frame.hpp"

namespace lagom::storage {

status load_feature_source(const std::string& source, uint64_t seed, feature_frame* out,
                           std::string* default_key);

/// The row index column name added to a source without a key: "index".
constexpr const char* row_index_name = "index";

} // namespace lagom::storage
