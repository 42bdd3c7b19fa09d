// plot::font: the built-in 5x7 bitmap font the canvas draws text with.
//
// Glyph format: printable ASCII 32..126, 5 columns of 7 rows each. A glyph is
// 5 bytes, one per column left to right; bit k of a column byte is row k, row
// 0 at the top. Text advances 6 pixels per character (one blank column), and
// lines are 8 pixels apart (one blank row). Characters outside 32..126 draw
// as '?'.
#pragma once

#include <cstdint>

namespace lagom::plot {

constexpr int glyph_width = 5;    ///< pixels of a glyph, without spacing
constexpr int glyph_height = 7;
constexpr int glyph_advance = 6;  ///< glyph_width plus one blank column

/// The 5 column bytes of `c`'s glyph (of '?' when `c` is not printable ASCII).
/// The pointer is into a static table: valid for the life of the program.
const uint8_t* glyph(char c);

/// Whether row `row` (0 top) of column `col` (0 left) of `c`'s glyph is set.
inline bool glyph_pixel(char c, int col, int row) {
  return (glyph(c)[col] >> row) & 1u;
}

} // namespace lagom::plot
