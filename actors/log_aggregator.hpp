// log_aggregator: the log records of every run, by experiment and run, in
// DATA/logs/<experiment>/<run>.log, one line per record (the format is in
// storage/log_file.hpp: "<ISO time with ms> <level> <node> <message>";
// appended with one write per record, so a line reaches the file at once).
// One per cluster, on the head next to the registry.
//
// Messages:
//   (atoms::log, frame LogRecord)  no reply (fire and forget)
//       Checked first: the experiment is a path-safe name (no '/', not "."
//       or "..", no control characters), the level one of trace, debug,
//       info, warn, error, the node a name without spaces. A bad record is
//       not written; sent as a request it gets the error naming the field
//       ("experiment", "level", "node"), sent plainly it is logged (warn).
//       wallMs 0 means now. A message over 64 KiB is cut, never refused.
//   (atoms::log, frame LogQuery)   -> frame LogRecords
//       The records of run `run`, or of every run when allRuns; ordered by
//       run, then oldest first. tail > 0 keeps the newest `tail` records by
//       time (across runs with allRuns), and a reply never carries more than
//       16 MiB of messages (the oldest are left out). not_found naming the
//       experiment when it has no logs at all; a run without a file has no
//       records. Lines that do not parse are passed over (logged).
//   Any other schema with this verb: wrong_schema.
// Runs on CAF's scheduler: a record costs one write(2), a query reads files.
#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "supervision/membership.hpp"

namespace lagom::actors {

/// `data_dir` must not be empty (every message would be refused).
/// `members` (may be null): a record whose frame carries a fenced or unknown
/// node epoch is refused (errc::fenced; logged when sent plainly).
caf::actor spawn_log_aggregator(caf::actor_system& sys, std::string data_dir,
                                std::shared_ptr<const supervision::membership> members = nullptr);

} // namespace lagom::actors
