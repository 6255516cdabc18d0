// KV cache tensors of the decode loops: named tensors [batch, kv_heads, length, head_dim], one
// batch row per sequence, copied on the CPU when rows are repeated or dropped.
import { Tensor } from '@huggingface/transformers';

export type KvCache = Record<string, Tensor>;

type NumericArray = {
  length: number;
  [i: number]: number;
  subarray(a: number, b: number): NumericArray;
  set(src: ArrayLike<number>, at: number): void;
};
type NumericArrayConstructor = new (length: number) => NumericArray;

async function tensorData(tensor: Tensor): Promise<NumericArray> {
  if (tensor.location === 'cpu' || tensor.location === 'cpu-pinned') {
    return tensor.data as unknown as NumericArray;
  }
  // A GPU-resident cache tensor (WebGPU): read it back once.
  const ort = tensor.ort_tensor as unknown as { getData(): Promise<ArrayLike<number>> };
  return (await ort.getData()) as unknown as NumericArray;
}

/** A cache whose single row is repeated `copies` times along the batch dimension. */
export async function repeatRows(cache: KvCache, copies: number): Promise<KvCache> {
  const out: KvCache = {};
  for (const [name, tensor] of Object.entries(cache)) {
    const data = await tensorData(tensor);
    const repeated = new (data.constructor as NumericArrayConstructor)(data.length * copies);
    for (let c = 0; c < copies; c++) repeated.set(data, c * data.length);
    out[name] = new Tensor(tensor.type as 'float32', repeated as unknown as Float32Array, [
      copies,
      ...tensor.dims.slice(1),
    ]);
  }
  return out;
}

/** The cache restricted to the given batch rows (the others have finished). */
export async function keepRows(cache: KvCache, rows: number[], batch: number): Promise<KvCache> {
  const out: KvCache = {};
  for (const [name, tensor] of Object.entries(cache)) {
    const data = await tensorData(tensor);
    const rowSize = data.length / batch;
    const kept = new (data.constructor as NumericArrayConstructor)(rowSize * rows.length);
    rows.forEach((row, i) =>
      kept.set(data.subarray(row * rowSize, (row + 1) * rowSize), i * rowSize),
    );
    out[name] = new Tensor(tensor.type as 'float32', kept as unknown as Float32Array, [
      rows.length,
      ...tensor.dims.slice(1),
    ]);
    tensor.dispose();
  }
  return out;
}

/** Frees the tensors that hold GPU memory (CPU tensors are garbage-collected). */
export function disposeCache(cache: KvCache): void {
  for (const tensor of Object.values(cache)) {
    if (tensor.location === 'gpu-buffer') tensor.dispose();
  }
}
