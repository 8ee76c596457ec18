import protobuf from "protobufjs";

/**
 * The subset of TensorFlow's Event / Summary protobufs that gradscope reads (field numbers from
 * tensorflow/core/util/event.proto, framework/summary.proto, tensor.proto, tensor_shape.proto).
 * Fields left out (graphs, images, audio, session logs, ...) are skipped by the decoder as
 * unknown fields. Decoding goes through protobufjs; this module only turns its messages into
 * plain objects. Pure: bytes in, objects out.
 */
const SCHEMA = `
syntax = "proto3";
package gradscope.tb;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}

message Summary {
  message Value {
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      HistogramProto histo = 5;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
}

message HistogramProto {
  double min = 1;
  double max = 2;
  double num = 3;
  double sum = 4;
  double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true];
  repeated double bucket = 7 [packed = true];
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
}
`;

const ROOT = protobuf.parse(SCHEMA, { keepCase: false }).root;
const EVENT = ROOT.lookupType("gradscope.tb.Event");

export interface RawHistogram {
  min?: number;
  max?: number;
  num?: number;
  sum?: number;
  sumSquares?: number;
  bucketLimit?: number[];
  bucket?: number[];
}

export interface RawTensor {
  /** TensorFlow DataType: 1 float, 2 double, 3 int32, 9 int64, 19 half. */
  dtype?: number;
  tensorShape?: { dim?: { size?: number }[] };
  tensorContent?: Uint8Array;
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: number[];
}

export interface RawValue {
  tag?: string;
  metadata?: { pluginData?: { pluginName?: string } };
  simpleValue?: number;
  histo?: RawHistogram;
  tensor?: RawTensor;
}

/** An Event as plain data; only the fields present in the record are set. */
export interface RawEvent {
  wallTime?: number;
  step?: number;
  fileVersion?: string;
  summary?: { value?: RawValue[] };
}

/** Decode one record's bytes as an Event (throws on bytes that are not one). */
export function decodeEvent(data: Uint8Array): RawEvent {
  const message = EVENT.decode(data);
  // longs as numbers: steps beyond 2^53 do not occur in practice
  return EVENT.toObject(message, { longs: Number, bytes: Uint8Array, defaults: false }) as RawEvent;
}

/** Encode an Event (tests build event files with it, e.g. TF2-style tensor summaries). */
export function encodeEvent(event: RawEvent): Uint8Array {
  return EVENT.encode(EVENT.fromObject(event)).finish();
}
