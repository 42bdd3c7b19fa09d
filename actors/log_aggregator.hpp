// log_aggregator: the log records of every run, by experiment and run, in
// DATA/logs/<experiment>/<run>.log (one line per record:
// "<ISO time> <level> <node> <message>"; appended, flushed per record).
//
// Messages:
//   (atoms::log, frame LogRecord)  no reply (fire and forget)
//   (atoms::log, frame LogQuery)   -> frame LogRecords (oldest first; the
//       newest `tail` when tail > 0; every run of the experiment, by run,
//       when allRuns). not_found naming the experiment when it has no logs.
#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace lagom::actors {

caf::actor spawn_log_aggregator(caf::actor_system& sys, std::string data_dir);

} // namespace lagom::actors
