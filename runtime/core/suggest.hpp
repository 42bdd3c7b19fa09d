// Did-you-mean: the closest of several names to what a user typed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lagom {

/// The candidate closest to `word` (ignoring case) by edit distance with
/// transpositions, if it is at most 1 (words up to 3 letters) or 2 away;
/// ties go to the earlier candidate. Empty when none is close.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

/// Edit distance counting insertions, deletions, substitutions and swaps of
/// adjacent characters as 1 each.
size_t edit_distance(std::string_view a, std::string_view b);

} // namespace lagom
