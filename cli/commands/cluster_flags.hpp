// Opens the cluster a `run`, `shell` or `status` command works on: the
// embedded one by default, a remote head with --connect.
#pragma once

#include <memory>

#include "cli/commands/commands.hpp"
#include "lagom/cluster.hpp"

namespace lagom::cli {

status open_cluster(const cluster_flags& f, std::unique_ptr<cluster>& out);

} // namespace lagom::cli
