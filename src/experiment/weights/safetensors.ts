/**
 * A reader for the safetensors format (Hugging Face; also how PyTorch state dicts are shared):
 * an 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__"?: {...}}, then the raw little-endian buffers,
 * offsets relative to the end of the header. Pure: bytes in, tensors out (no file access).
 */

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";
}

/** A floating-point tensor read as float64 (the dtypes a weight can have). */
export interface FloatTensor {
  name: string;
  /** The stored dtype: F64, F32, F16 or BF16. */
  dtype: string;
  shape: number[];
  data: Float64Array;
}

export interface Safetensors {
  tensors: FloatTensor[];
  /** Tensors not read as floats (integer or bool buffers): name and dtype. */
  skipped: { name: string; dtype: string }[];
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
/** A header larger than this is not a safetensors header (the format caps it at 100 MB). */
const MAX_HEADER = 100_000_000;

/** IEEE half to number. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function decode(dtype: string, bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / BYTES[dtype]!;
  const out = new Float64Array(n);
  switch (dtype) {
    case "F64":
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case "F32":
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case "F16":
      for (let i = 0; i < n; i++) out[i] = half(view.getUint16(2 * i, true));
      break;
    case "BF16": {
      const f = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        f.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = f.getFloat32(0);
      }
      break;
    }
  }
  return out;
}

/** Parse a safetensors file's bytes; a malformed or truncated file throws one clear line. */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.byteLength < 8) {
    throw new SafetensorsError(
      `too short for a safetensors file (${bytes.byteLength} bytes; the header length alone is 8)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || headerLength < 2) {
    throw new SafetensorsError(`not a safetensors file: header length ${headerLength} bytes`);
  }
  if (8 + headerLength > bytes.byteLength) {
    throw new SafetensorsError(
      `truncated: the header needs ${headerLength} bytes but the file has ${bytes.byteLength - 8} after the length`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (err) {
    throw new SafetensorsError(
      `not a safetensors file: its header is not JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new SafetensorsError("not a safetensors file: its header is not a JSON object");
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors: FloatTensor[] = [];
  const skipped: { name: string; dtype: string }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry === "object" && entry !== null) metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = typeof e?.dtype === "string" ? e.dtype : "";
    const shape = e?.shape;
    const offsets = e?.data_offsets;
    const size = BYTES[dtype];
    if (
      size === undefined ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isInteger(o) && o >= 0)
    ) {
      throw new SafetensorsError(
        `tensor '${name}': malformed entry ${JSON.stringify(entry).slice(0, 120)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * size) {
      throw new SafetensorsError(
        `tensor '${name}': ${end - begin} bytes for shape [${shape.join(", ")}] of ${dtype} (${count * size} expected)`,
      );
    }
    if (end > dataLength) {
      throw new SafetensorsError(
        `truncated: tensor '${name}' ends at byte ${end} of the data, which has ${dataLength}`,
      );
    }
    if (!["F64", "F32", "F16", "BF16"].includes(dtype)) {
      skipped.push({ name, dtype });
      continue;
    }
    tensors.push({
      name,
      dtype,
      shape: shape as number[],
      data: decode(dtype, bytes.slice(dataStart + begin, dataStart + end)),
    });
  }
  return { tensors, skipped, metadata };
}

/** Write float64 or float32 tensors as safetensors bytes (for tests and exports). */
export function writeSafetensors(
  tensors: readonly {
    name: string;
    shape: number[];
    data: ArrayLike<number>;
    dtype?: "F64" | "F32";
  }[],
): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const t of tensors) {
    const size = t.dtype === "F32" ? 4 : 8;
    header[t.name] = {
      dtype: t.dtype ?? "F64",
      shape: t.shape,
      data_offsets: [offset, offset + t.data.length * size],
    };
    offset += t.data.length * size;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " ";
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      if (t.dtype === "F32") {
        view.setFloat32(at, t.data[i]!, true);
        at += 4;
      } else {
        view.setFloat64(at, t.data[i]!, true);
        at += 8;
      }
    }
  }
  return out;
}
