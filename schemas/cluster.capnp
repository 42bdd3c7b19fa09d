# Messages of the cluster spine: nodes joining the head, resource reports,
# container requests and grants, function launches and their outcomes,
# heartbeats and errors. Every struct here travels inside a wire::frame
# (runtime/wire/frame.hpp) tagged with its Cap'n Proto type id.
@0xb3053dc1d4a6edfd;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lagom::schema");

# A GPU as the CUDA runtime reports it on one node.
struct GpuInfo {
  index @0 :UInt32;          # device ordinal on that node (cudaSetDevice)
  name @1 :Text;
  memoryMb @2 :UInt64;
}

# An amount of resources: a request, a capacity or what is free.
struct Resources {
  cpus @0 :UInt32;
  memoryMb @1 :UInt64;
  gpus @2 :UInt32;
}

# node -> head: a node asks to join. Refused unless `token` matches the head's.
struct NodeRegistration {
  name @0 :Text;             # unique within the cluster, e.g. "node-1"
  token @1 :Text;
  host @2 :Text;
  pid @3 :UInt32;
  capacity @4 :Resources;
  gpus @5 :List(GpuInfo);
  functions @6 :List(FunctionSpec);  # train functions this node's binary can run
}

# A hyperparameter a function takes (lagom::param_spec).
struct ParamSpec {
  name @0 :Text;
  kind @1 :UInt8;            # 0 real, 1 integer, 2 text, 3 choice
  default @2 :KeyValue;
  min @3 :Float64;
  max @4 :Float64;
  choices @5 :List(Text);
  help @6 :Text;
}

struct FunctionSpec {
  name @0 :Text;
  open @1 :Bool;             # takes any hyperparameters unchecked
  params @2 :List(ParamSpec);
}

# head -> node: the node was accepted.
struct NodeAccepted {
  nodeId @0 :UInt32;
  heartbeatMs @1 :UInt32;    # send a Heartbeat this often
  timeoutMs @2 :UInt32;      # silence for this long and the node is removed
  epoch @3 :UInt64;          # this incarnation's epoch (supervision/membership.hpp):
                             # its heartbeats name it; its runs' writes carry it
}

# node -> head, every heartbeatMs; answered unit, or errc::fenced when the head
# dropped this incarnation (the node then kills its containers and rejoins).
struct Heartbeat {
  nodeId @0 :UInt32;
  seq @1 :UInt64;
  free @2 :Resources;        # what the node itself believes is free
  epoch @3 :UInt64;          # from NodeAccepted; a fenced one is answered errc::fenced
}

enum Placement {
  pack @0;                   # fill the fullest node that fits first
  spread @1;                 # one container per node, round robin
}

# client -> head: ask for `count` containers of `each` resources.
struct ContainerRequest {
  owner @0 :Text;            # who holds the grant, e.g. an experiment name
  count @1 :UInt32;
  each @2 :Resources;
  gang @3 :Bool;             # all `count` or none
  placement @4 :Placement;
  queue @5 :Bool;            # wait when full instead of failing "unavailable"
  function @6 :Text;         # if set: refused unless every node knows it
  params @7 :List(KeyValue); # with function: checked against its spec
  budgetKey @8 :Text;        # a budgeted search's resource= (in params): when the
                             # function does not take it, the error says so
}

# One granted container: a slot on a node with its CPUs, memory and GPUs.
struct Container {
  id @0 :UInt64;
  nodeId @1 :UInt32;
  nodeName @2 :Text;
  cpus @3 :UInt32;
  memoryMb @4 :UInt64;
  gpuIds @5 :List(UInt32);   # device ordinals on that node
}

# head -> client: the containers granted for one request.
struct ContainerGrant {
  requestId @0 :UInt64;
  containers @1 :List(Container);
}

# client -> head: give containers back.
struct ContainerRelease {
  containerIds @0 :List(UInt64);
}

# A named value: a hyperparameter or a function's result.
struct KeyValue {
  key @0 :Text;
  union {
    number @1 :Float64;
    text @2 :Text;
  }
}

# client -> head -> node: run registered function `function` in a container.
struct FunctionLaunch {
  container @0 :Container;
  function @1 :Text;
  rank @2 :UInt32;
  worldSize @3 :UInt32;
  params @4 :List(KeyValue);
  experiment @5 :Text;       # the run this launch is (empty: none)
  experimentId @6 :UInt64;
  run @7 :UInt32;
  attempt @8 :UInt32;
  heartbeatMs @9 :UInt32;    # > 0: the run's trainer_worker sends the owner a
                             # TrialHeartbeat this often while the function runs
  trialLoop @10 :Bool;       # a trial loop (a search's container): the container
                             # asks the owner for one trial after another, each a
                             # FunctionLaunch, until it answers none (atoms::next)
  lookahead @11 :UInt32;     # a trial loop's asks made ahead of need: its next
                             # trials are asked for while one runs
  hasParent @12 :Bool;       # true: an ASHA/Hyperband promotion that continues
  parentRun @13 :UInt32;     # run parentRun of the same experiment: its newest
                             # checkpoint stands in while the run has none
  group @14 :CollectiveGroup; # a rank of a data-parallel job (job empty: none)
}

# The group of a data-parallel job's rank: one generation of the job.
struct CollectiveGroup {
  job @0 :Text;                 # the job's id; empty: not a DDP rank
  generation @1 :UInt64;        # a restart of the group is the next one
  backend @2 :Text;             # "shm", "gloo" or "nccl" (chosen by the driver)
  rendezvousTimeoutMs @3 :UInt32;
  collectiveTimeoutMs @4 :UInt32;
  bucketMb @5 :Float64;         # gradient bucket size after the first
  accumulate @6 :UInt32;        # micro-batches per all-reduce
  syncBn @7 :Bool;              # BatchNorm over the global batch (SyncBatchNorm)
  timeline @8 :Bool;            # write the rank's Chrome trace
  host @9 :Text;                # gloo: the address this rank listens on (its
                                # node's host); the ranks meet through the
                                # launch's owner (the ddp_job), which serves
                                # the rendezvous store (kv_set/kv_get)
  agreeStop @10 :Bool;          # a search trial's gang: only rank 0 reports, and
                                # the ranks agree on stop at every report
}

# node -> head -> client: the function returned.
struct FunctionResult {
  containerId @0 :UInt64;
  device @1 :Text;           # "cpu" or "cuda:N"
  values @2 :List(KeyValue);
  elapsedMs @3 :Float64;
}

# An error as it crosses the wire: a code from lagom::errc, what and where.
struct Error {
  code @0 :UInt8;
  message @1 :Text;
  where @2 :Text;
}

# node -> head -> client: the function did not return (threw, or its
# container was lost with its node).
struct FunctionExit {
  containerId @0 :UInt64;
  error @1 :Error;
}

# client -> head: a status query; head -> client: the answer.
struct StatusRequest {
  verbose @0 :Bool;
}

struct NodeStatus {
  nodeId @0 :UInt32;
  name @1 :Text;
  host @2 :Text;
  capacity @3 :Resources;
  used @4 :Resources;
  containers @5 :UInt32;
  gpus @6 :List(GpuInfo);
}

struct ClusterStatus {
  nodes @0 :List(NodeStatus);
  queuedRequests @1 :UInt32;
  lostNodes @2 :UInt32;
}

# head -> owner of a grant: these containers died with their node (or were
# reclaimed); any function running in them is gone.
struct ContainerLost {
  containerIds @0 :List(UInt64);
  nodeName @1 :Text;
  reason @2 :Text;
}
