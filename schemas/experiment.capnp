# Messages of experiments: the registry (experiments, runs, metrics), the
# checkpointer, the log aggregator, and a running train function's reports.
# Every struct travels inside a wire::frame; see actors/*.hpp for the verbs.
@0xf1519d4cc3d6fe86;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lagom::schema");

using import "cluster.capnp".KeyValue;

enum ExperimentKind {
  train @0;
  search @1;
}

enum RunStatus {
  queued @0;
  running @1;
  finished @2;
  failed @3;
  stoppedEarly @4;
  lost @5;
  cancelled @6;              # its driver was cancelled (SIGTERM, scancel); ended
}

enum Direction {
  max @0;
  min @1;
}

# driver -> registry: create (or resume) an experiment.
struct ExperimentCreate {
  name @0 :Text;
  kind @1 :ExperimentKind;
  function @2 :Text;
  hyperparameters @3 :List(KeyValue);
  metric @4 :Text;
  direction @5 :Direction;
  resume @6 :Bool;           # an existing experiment of that name is continued
  search @7 :List(KeyValue); # a search's definition (space, optimizer, ...); see trial_scheduler
}

struct RunInfo {
  run @0 :UInt32;
  status @1 :RunStatus;
  hyperparameters @2 :List(KeyValue);
  startMs @3 :Int64;
  endMs @4 :Int64;
  node @5 :Text;
  container @6 :UInt64;
  attempts @7 :UInt32;
  error @8 :Text;
  finalMetrics @9 :List(KeyValue);
}

# registry -> driver / client.
struct ExperimentInfo {
  id @0 :UInt64;
  name @1 :Text;
  kind @2 :ExperimentKind;
  status @3 :Text;           # running, finished, failed, stopped
  createdMs @4 :Int64;
  function @5 :Text;
  hyperparameters @6 :List(KeyValue);
  metric @7 :Text;
  direction @8 :Direction;
  runs @9 :List(RunInfo);    # filled when asked for (ExperimentQuery.withRuns)
  search @10 :List(KeyValue);
}

# driver -> registry: a run is created (queued, with its hyperparameters) or
# changes status; fields left empty are kept.
struct RunUpdate {
  experimentId @0 :UInt64;
  run @1 :UInt32;
  status @2 :RunStatus;
  hyperparameters @3 :List(KeyValue);  # used when the run is created
  node @4 :Text;
  container @5 :UInt64;
  error @6 :Text;
  finalMetrics @7 :List(KeyValue);
  atMs @8 :Int64;            # when it happened, ms since the epoch (the driver's
                             # clock: a batch stores changes later); 0: when stored
}

# driver -> registry: many run changes, stored in one transaction, in order
# (a search's trial table changes faster than one commit per change).
struct RunUpdateBatch {
  updates @0 :List(RunUpdate);
}

# driver -> registry: the experiment ended.
struct ExperimentEnd {
  experimentId @0 :UInt64;
  status @1 :Text;           # finished, failed or stopped
}

# trainer / driver -> registry: metrics of a run at a step.
struct MetricReport {
  experimentId @0 :UInt64;
  run @1 :UInt32;
  step @2 :UInt64;
  metrics @3 :List(KeyValue); # numbers only
}

# client -> registry.
struct ExperimentQuery {
  name @0 :Text;
  withRuns @1 :Bool;
}

struct ExperimentList {
  withRuns @0 :Bool;
}

struct ExperimentListing {
  experiments @0 :List(ExperimentInfo);
}

struct MetricQuery {
  experimentId @0 :UInt64;
  run @1 :UInt32;
  key @2 :Text;              # empty: every key the run reported
}

struct MetricPoint {
  step @0 :UInt64;
  value @1 :Float64;
  wallMs @2 :Int64;
}

struct MetricSeries {
  key @0 :Text;
  points @1 :List(MetricPoint);
}

struct MetricSeriesList {
  series @0 :List(MetricSeries);
}

# trainer -> checkpointer.
struct CheckpointSave {
  experiment @0 :Text;
  run @1 :UInt32;
  step @2 :UInt64;
  payload @3 :Data;
  metadata @4 :List(KeyValue);
  staged @5 :Text;           # shared storage: the node wrote the checkpoint whole to
                             # this staged file of the run's directory (payload empty);
                             # the checkpointer commits it (storage::checkpoint_store)
}

struct CheckpointSaved {
  step @0 :UInt64;
  path @1 :Text;
  bytes @2 :UInt64;
}

struct CheckpointLoad {
  experiment @0 :Text;
  run @1 :UInt32;
}

struct CheckpointData {
  found @0 :Bool;            # false: no complete checkpoint yet
  step @1 :UInt64;
  payload @2 :Data;
  metadata @3 :List(KeyValue);
  skipped @4 :List(Text);    # corrupt files passed over, with why
}

# any actor -> log_aggregator; log_aggregator -> client.
struct LogRecord {
  experiment @0 :Text;
  run @1 :UInt32;
  level @2 :Text;            # trace, debug, info, warn, error
  wallMs @3 :Int64;
  node @4 :Text;
  message @5 :Text;
}

struct LogQuery {
  experiment @0 :Text;
  run @1 :UInt32;
  allRuns @2 :Bool;
  tail @3 :UInt32;           # at most this many records (0: all), the newest
}

struct LogRecords {
  records @0 :List(LogRecord);
}

# trainer -> driver: a running function's report; the answer says go on or stop.
struct TrainReport {
  experimentId @0 :UInt64;
  run @1 :UInt32;
  step @2 :UInt64;
  metrics @3 :List(KeyValue);
}

struct TrainDecision {
  stop @0 :Bool;
  reason @1 :Text;
}

# trainer -> owner (trial_scheduler): the run is alive (FunctionLaunch.heartbeatMs).
struct TrialHeartbeat {
  experimentId @0 :UInt64;
  run @1 :UInt32;
  attempt @2 :UInt32;
}
