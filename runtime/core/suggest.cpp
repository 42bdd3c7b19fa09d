// Did-you-mean suggestions for names a user typed (commands, functions,
// hyperparameters).
#include "core/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace lagom {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment over three rows of the dynamic programme.
  std::vector<size_t> two(b.size() + 1), one(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    one[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({one[j] + 1, cur[j - 1] + 1, one[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], two[j - 2] + 1);
    }
    std::swap(two, one);
    std::swap(one, cur);
  }
  return one[b.size()];
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string lower(word);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t limit = lower.size() <= 3 ? 1 : 2;
  size_t best = limit + 1;
  std::string found;
  for (const auto& c : candidates) {
    size_t d = edit_distance(lower, c);
    if (d < best) {
      best = d;
      found = c;
    }
  }
  return found;
}

} // namespace lagom
