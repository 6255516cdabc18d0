// A forward pass that asks onnxruntime for the logits alone. A scoring pass never reads the KV
// cache the graph also returns (`present.*`: for the embedded model 6 KB per token, more than
// twice the logits), and onnxruntime copies every requested output out of the session, across
// the wasm heap in the browser. Naming the one output to fetch skips those copies.
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';

interface InputMetadata {
  name: string;
  isTensor?: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

interface OrtSession {
  inputNames: readonly string[];
  inputMetadata?: readonly InputMetadata[];
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, unknown>>;
}

const CACHE_INPUT = /^past_key_values\.\d+\.(key|value)$/;

/**
 * A run of `model`'s session on `inputs` (each batch-major, first dimension = batch) with an
 * empty KV cache, returning only `logits`; or null when the session has inputs this does not
 * know how to fill (then use the model's own forward pass).
 */
export function logitsOnlyRun(
  model: PreTrainedModel,
  inputs: Record<string, Tensor>,
): (() => Promise<Tensor>) | null {
  const session = (model as unknown as { sessions?: Record<string, OrtSession | undefined> })
    .sessions?.model;
  if (!session?.inputMetadata || typeof session.run !== 'function') return null;
  const batch = inputs.input_ids?.dims[0];
  if (batch === undefined) return null;
  const feeds: Record<string, unknown> = {};
  for (const meta of session.inputMetadata) {
    const given = inputs[meta.name];
    if (given) {
      feeds[meta.name] = given.ort_tensor;
      continue;
    }
    if (!CACHE_INPUT.test(meta.name) || meta.type !== 'float32' || !meta.shape) return null;
    // [batch, heads, past length, head dim]: named dimensions other than the batch are 0.
    const dims: number[] = meta.shape.map((d, axis): number =>
      typeof d === 'number' ? d : axis === 0 ? batch : 0,
    );
    if (dims[0] !== batch || !dims.includes(0)) return null;
    feeds[meta.name] = new Tensor('float32', new Float32Array(0), dims).ort_tensor;
  }
  return async () => {
    const outputs = await session.run(feeds, ['logits']);
    // transformers.js's Tensor wraps an onnxruntime tensor given as its only argument.
    return new (Tensor as unknown as new (ortTensor: unknown) => Tensor)(outputs.logits);
  };
}

/** Runs async jobs one at a time, in call order (onnxruntime-web runs one session at a time). */
export class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
