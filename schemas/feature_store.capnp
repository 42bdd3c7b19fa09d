# Messages of the feature store: feature_store_shard (one LMDB environment
# each) and feature_store_router (at the head). Every struct travels inside a
# wire::frame; the verbs are in runtime/wire/atoms.hpp, the contract in
# actors/feature_store_shard.hpp and actors/feature_store_router.hpp.
# Types and write modes carry the numbers of storage::feature_type and
# storage::write_mode; a reader checks them.
@0x9621609c1607b548;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("lagom::schema");

struct FeatureSpec {
  name @0 :Text;
  type @1 :UInt8;     # storage::feature_type
  width @2 :UInt32;
}

struct FeatureSchema {
  columns @0 :List(FeatureSpec);
  primaryKey @1 :List(Text);
  eventTime @2 :Text;
}

# One column of rows: its bytes are a column chunk (storage/feature_chunk.hpp).
struct FeatureColumn {
  name @0 :Text;
  type @1 :UInt8;
  width @2 :UInt32;
  chunk @3 :Data;
}

struct FeatureRows {
  columns @0 :List(FeatureColumn);
}

# A create (mode 1, with schema) or an append / overwrite / upsert.
struct FeatureWrite {
  group @0 :Text;
  mode @1 :UInt8;     # storage::write_mode
  schema @2 :FeatureSchema;
  rows @3 :FeatureRows;
  version @4 :UInt32;
  description @5 :Text;
  correlations @6 :Bool = true;
  # A chunked write (storage/feature_upload.hpp): `parts` FeatureWritePart
  # frames of `upload` came first; their rows, then these, are the version.
  upload @7 :UInt64;
  parts @8 :UInt32;
}

# One part of a chunked write, staged in memory by the group's shard until
# the FeatureWrite naming its upload commits every part as one version.
struct FeatureWritePart {
  group @0 :Text;
  upload @1 :UInt64;  # picked at random by the client, not 0
  seq @2 :UInt32;     # 0, 1, ... in order
  rows @3 :FeatureRows;
}

struct FeatureVersion {
  group @0 :Text;
  version @1 :UInt32;
  mode @2 :UInt8;
  createdMs @3 :Int64;
  rows @4 :UInt64;
  rowsWritten @5 :UInt64;
  description @6 :Text;
  schema @7 :FeatureSchema;
  correlations @8 :Bool;
  shard @9 :UInt32;   # set by the router
}

struct FeatureRead {
  group @0 :Text;
  version @1 :UInt32;
  columns @2 :List(Text);
  offset @3 :UInt64;
  limit @4 :UInt64 = 0xffffffffffffffff;
  hasAsOf @5 :Bool;
  asOfEventTime @6 :Int64;
}

# Names a group (and a version, 0: the newest) for list, stats and drop;
# an empty group lists every group.
struct FeatureGroupRequest {
  group @0 :Text;
  version @1 :UInt32;
}

struct FeatureGroupList {
  groups @0 :List(FeatureVersion);
}

struct FeatureStatistics {
  group @0 :Text;
  version @1 :UInt32;
  record @2 :Data;    # storage::encode_statistics
}

struct KeyPart {
  union {
    int @0 :Int64;
    text @1 :Text;
  }
}

struct FeatureKey {
  parts @0 :List(KeyPart);
}

struct FeatureLookup {
  group @0 :Text;
  keys @1 :List(FeatureKey);
  columns @2 :List(Text);
}

struct FeatureLookupResult {
  rows @0 :FeatureRows;
  found @1 :List(Bool);
}

struct GroupVersion {
  group @0 :Text;
  version @1 :UInt32;
}

struct FeatureQuery {
  features @0 :List(Text);
  join @1 :UInt8;     # storage::join_kind: 1 inner, 2 left
  base @2 :Text;
  versions @3 :List(GroupVersion);
}

struct CatalogEntry {
  group @0 :Text;
  schema @1 :FeatureSchema;
}

struct FeatureCatalog {
  groups @0 :List(CatalogEntry);
}

# Training datasets (storage/training_dataset.hpp), kept on the shard their
# name hashes to.
struct SplitSpec {
  name @0 :Text;
  fraction @1 :Float64;
  rows @2 :UInt64;
  chunks @3 :UInt32;
}

struct TrainingDatasetCreate {
  name @0 :Text;
  query @1 :FeatureQuery;
  label @2 :Text;
  splits @3 :List(SplitSpec);
  seed @4 :UInt64;
  version @5 :UInt32;
  description @6 :Text;
}

struct ResolvedFeature {
  group @0 :Text;
  feature @1 :Text;
  isKey @2 :Bool;
}

# What the router sends the dataset's shard: the query run and joined.
struct TrainingDatasetRows {
  create @0 :TrainingDatasetCreate;
  resolved @1 :List(ResolvedFeature);
  groups @2 :List(GroupVersion);
  rows @3 :FeatureRows;
}

struct TrainingDatasetInfo {
  name @0 :Text;
  version @1 :UInt32;
  createdMs @2 :Int64;
  seed @3 :UInt64;
  features @4 :List(FeatureSpec);
  dim @5 :UInt32;
  label @6 :FeatureSpec;
  splits @7 :List(SplitSpec);
  groups @8 :List(GroupVersion);
}

# Names a dataset version (0: newest) and, for reads and exports, a split.
struct TrainingDatasetRequest {
  name @0 :Text;
  version @1 :UInt32;
  split @2 :Text;
  rows @3 :List(UInt64);   # read: the rows wanted, in order
  format @4 :UInt8;        # export: storage::export_format
  path @5 :Text;           # export: the file or stem, on the shard's host
  # read by epoch (when world > 0 and rows is empty): rows offset ..
  # offset+count of training_dataset_reader::epoch_rows(epoch, rank, world);
  # in stored order (world 0, rows empty): the split's rows offset ..
  # offset+count (cut at its end)
  epoch @6 :UInt64;
  rank @7 :UInt32;
  world @8 :UInt32;
  offset @9 :UInt64;
  count @10 :UInt64;
}

struct TrainingDatasetBatch {
  features @0 :Data;       # rows x dim float32, little-endian
  labels @1 :List(Float64);
  dim @2 :UInt32;
  total @3 :UInt64;        # by epoch: the rows this rank reads in the epoch;
                           # in stored order: the split's rows
  rows @4 :List(UInt64);   # the split's row numbers read, in order
}

struct ExportedFiles {
  paths @0 :List(Text);
}
