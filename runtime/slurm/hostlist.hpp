// Slurm hostlist expressions, e.g. SLURM_JOB_NODELIST: "n[1-3,5],gpu[01-02]"
// names n1 n2 n3 n5 gpu01 gpu02. Plain C++ (no CAF), no Slurm library.
//
// Grammar (what scontrol show hostnames accepts in practice):
//   list  := host (',' host)*
//   host  := (text | '[' range (',' range)* ']')+      text: no ',', '[' or ']'
//   range := number | number '-' number               low <= high
// A zero-padded low bound keeps its width: "[08-10]" is 08 09 10. Several
// bracket groups in one host multiply ("r[1-2]n[1-2]": r1n1 r1n2 r2n1 r2n2).
// Whitespace is not allowed. Names come out in the order written.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lagom/status.hpp"

namespace lagom::slurm {

/// The most names one expression may expand to (a typo like n[1-999999999]
/// fails instead of exhausting memory).
constexpr size_t max_hostlist_names = 1u << 16;

/// Expands `expr` into `out` (cleared first). On failure returns
/// invalid_argument whose message says what is wrong and at which column
/// (1-based) of the expression, e.g. "unclosed '[' at column 2"; `out` is
/// then empty.
status expand_hostlist(const std::string& expr, std::vector<std::string>& out);

/// The first name of `expr` (the batch host of a job); errors as above, and
/// invalid_argument when the expression names no host.
status first_host(const std::string& expr, std::string& out);

} // namespace lagom::slurm
