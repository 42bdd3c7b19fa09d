// plot::write_png: a canvas as an 8-bit RGB PNG file, written atomically.
//
// The image is encoded in memory with libpng, written to PATH.tmp, fsync'ed
// and renamed over PATH, then the directory is fsync'ed. A reader therefore
// sees the old file or the whole new one, never a partial image; after a
// crash PATH.tmp may be left behind and is overwritten by the next write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lagom/status.hpp"
#include "plot/canvas.hpp"

namespace lagom::plot {

/// Encodes `c` as PNG bytes into `out` (replacing its contents). internal
/// when libpng reports an error (out of memory).
status encode_png(const canvas& c, std::vector<uint8_t>& out);

/// Writes `c` to `path` as above. Ok once the file is renamed into place.
/// io_error, with where() = path and the failing call and errno text in
/// message(), when the directory does not exist or a write, fsync or rename
/// fails; PATH.tmp is then removed and PATH is untouched.
status write_png(const canvas& c, const std::string& path);

} // namespace lagom::plot
