// One scoring forward pass and its arithmetic, shared by the engine's own session and the
// scoring pool's workers (scorePool.ts), so that a text scores the same wherever it runs:
// which texts share a pass, the right-padded inputs, log-softmax at the targets and the span
// mean. Prepared texts are plain data, so they cross to a pool worker as they are.
import { Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { meanSpanLoss } from '../../core/lossText';
import type { LossText } from '../../core/types';
import { EngineError } from '../protocol';
import type { ScoreResult } from '../types';
import { disposeCache } from './kvCache';
import { logitsOnlyRun } from './logitsOnly';
import { logProbAt } from './sampling';

/** A loss text tokenized for scoring (what a pool worker receives). */
export interface PreparedScore {
  item: LossText;
  ids: number[];
  truncated: boolean;
  /** Start offset in the text of every kept text token (BOS excluded). */
  textStarts: number[];
  withBos: boolean;
}

/** Most logits (batch × tokens × vocabulary) one scoring forward pass may produce. */
const SCORE_LOGITS_BUDGET = 1 << 24;
export const SCORE_MAX_BATCH = 32;

export function lengthOf(p: PreparedScore | undefined): number {
  return p?.ids.length ?? 0;
}

/**
 * Groups texts into forward passes: similar lengths share a batch (sorted by length), so that
 * little of each pass is padding, and no pass exceeds `maxBatch` rows or the logits budget.
 * Returns the texts' indices, batch by batch, shortest first.
 */
export function planScoreBatches(
  prepared: readonly PreparedScore[],
  vocab: number,
  maxBatch = SCORE_MAX_BATCH,
): number[][] {
  const order = prepared
    .map((_, i) => i)
    .sort((a, b) => lengthOf(prepared[a]) - lengthOf(prepared[b]));
  const budget = Math.max(1, vocab);
  const batches: number[][] = [];
  for (let from = 0; from < order.length;) {
    let to = from + 1;
    while (
      to < order.length &&
      to - from < maxBatch &&
      (to - from + 1) * lengthOf(prepared[order[to] as number]) * budget <= SCORE_LOGITS_BUDGET
    ) {
      to++;
    }
    batches.push(order.slice(from, to));
    from = to;
  }
  return batches;
}

/**
 * One right-padded forward pass over several sequences: log p of every next token, the span
 * mask and mean. `session` runs the pass (one at a time, errors typed by the caller).
 */
export async function scoreBatch(
  model: PreTrainedModel,
  batch: readonly PreparedScore[],
  padId: number,
  session: <T>(job: () => Promise<T>) => Promise<T>,
): Promise<ScoreResult[]> {
  const width = Math.max(1, ...batch.map((p) => p.ids.length));
  const size = batch.length * width;
  const inputIds = new BigInt64Array(size).fill(BigInt(padId));
  const mask = new BigInt64Array(size);
  const positions = new BigInt64Array(size);
  batch.forEach((p, b) =>
    p.ids.forEach((id, t) => {
      inputIds[b * width + t] = BigInt(id);
      mask[b * width + t] = 1n;
      positions[b * width + t] = BigInt(t);
    }),
  );
  const inputs = {
    input_ids: new Tensor('int64', inputIds, [batch.length, width]),
    attention_mask: new Tensor('int64', mask, [batch.length, width]),
    position_ids: new Tensor('int64', positions, [batch.length, width]),
  };
  // Only the logits: nobody reads a scoring pass's cache, so none is copied out.
  const direct = logitsOnlyRun(model, inputs);
  let logits: Tensor;
  if (direct) {
    logits = await session(direct);
  } else {
    const outputs = (await session(() => model.forward(inputs))) as Record<string, Tensor>;
    if (!outputs.logits) throw new EngineError('internal', 'The model returned no logits.');
    logits = outputs.logits;
    const { logits: _, ...cache } = outputs;
    disposeCache(cache);
  }
  return batchResults(logits, batch);
}

/** The results of one pass's logits [batch, length, vocab] for the texts of that batch. */
function batchResults(logits: Tensor, batch: readonly PreparedScore[]): ScoreResult[] {
  const [, length, vocab] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  return batch.map((p, b) => {
    const logprobs: number[] = [];
    for (let t = 1; t < p.ids.length; t++) {
      logprobs.push(logProbAt(data, (b * length + t - 1) * vocab, vocab, p.ids[t] as number));
    }
    // logprobs[t-1] belongs to token t; its start in the text is textStarts[t - (BOS ? 1 : 0)].
    const starts = logprobs.map((_, i) => p.textStarts[p.withBos ? i : i + 1] as number);
    const [from, to] = p.item.span;
    const spanMask = starts.map((at) => at >= from && at < to);
    const meanNll = meanSpanLoss(p.item, starts, logprobs);
    return {
      tokenIds: p.ids,
      logprobs,
      spanMask,
      meanNll,
      scoredTokens: spanMask.filter(Boolean).length,
      truncated: p.truncated,
    };
  });
}
