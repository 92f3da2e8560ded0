// A small hand-written encoder of Kubernetes' protobuf wire format, for tests that send kubectl-like bodies.

/** A protobuf varint (64-bit, two's complement for negatives). */
export function varint(n: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return Buffer.from(out);
}
export const key = (no: number, wire: number): Buffer => varint((no << 3) | wire);
/** A length-delimited field (string, bytes or message). */
export const len = (no: number, data: Buffer | string): Buffer => {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([key(no, 2), varint(b.length), b]);
};
/** A varint field. */
export const num = (no: number, n: bigint | number | boolean): Buffer => Buffer.concat([key(no, 0), varint(typeof n === 'boolean' ? (n ? 1 : 0) : n)]);
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
/** One map entry (key 1, value 2) of field `no`. */
export const entry = (no: number, k: string, v: string | Buffer): Buffer => len(no, cat(len(1, k), len(2, v)));
/** A meta/v1 Time or MicroTime. */
export const time = (seconds: number, nanos = 0): Buffer => cat(num(1, seconds), ...(nanos ? [num(2, nanos)] : []));
export const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** The `k8s\0` magic and runtime.Unknown around an encoded object. */
export const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  cat(MAGIC, len(1, cat(len(1, apiVersion), len(2, kind))), len(2, raw), len(3, ''), len(4, ''));
