// Measurements shared by both halves of bench/engine.ts (Node and the browser page), so that
// the two sides are timed by the same code.
import type { Candidate, SampleOptions } from '../src/engine/types';

/**
 * Repeats `round` for at least `minSeconds`, then until a round is no more than 5% faster than
 * the one before (at most 90 s in all): the first runs set up kernels and buffers, and the wasm
 * JIT tiers hot code up over several seconds (longer on a busy machine).
 */
export async function warmUp(minSeconds: number, round: () => Promise<void>): Promise<void> {
  const start = performance.now();
  let previous = Infinity;
  for (;;) {
    const roundStart = performance.now();
    await round();
    const took = performance.now() - roundStart;
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= 90 || (elapsed >= minSeconds && took > 0.95 * previous)) return;
    previous = took;
  }
}

export interface SamplingFigures {
  /** The prompt's length in tokens (BOS included). */
  promptTokens: number;
  /** New tokens of all candidates in all rounds (the same either way). */
  tokens: number;
  batchedSeconds: number;
  singleSeconds: number;
  /** Batched and one-at-a-time candidates are identical (per-candidate seeds). */
  same: boolean;
}

/**
 * m candidates as one batch, and the same m candidates one call each (indices: [i], a batch of
 * one: the standard path), `rounds` times. The two alternate which goes first, so that a slow
 * spell of a shared machine falls on both; times are summed over the rounds.
 */
export async function measureSampling(
  sample: (prompt: string, options: SampleOptions) => Promise<Candidate[]>,
  prompt: string,
  promptTokens: number,
  options: SampleOptions,
  rounds = 1,
): Promise<SamplingFigures> {
  const figures: SamplingFigures = {
    promptTokens,
    tokens: 0,
    batchedSeconds: 0,
    singleSeconds: 0,
    same: true,
  };
  const batchedRun = async (): Promise<Candidate[]> => {
    const start = performance.now();
    const batched = await sample(prompt, options);
    figures.batchedSeconds += (performance.now() - start) / 1000;
    figures.tokens += batched.reduce((sum, c) => sum + c.tokens, 0);
    return batched;
  };
  const singleRun = async (): Promise<Candidate[]> => {
    const start = performance.now();
    const single: Candidate[] = [];
    for (let i = 0; i < options.n; i++)
      single.push(...(await sample(prompt, { ...options, indices: [i] })));
    figures.singleSeconds += (performance.now() - start) / 1000;
    return single;
  };
  for (let round = 0; round < rounds; round++) {
    const [batched, single] =
      round % 2 === 0
        ? [await batchedRun(), await singleRun()]
        : await singleRun().then(async (single) => [await batchedRun(), single]);
    figures.same &&= JSON.stringify(single) === JSON.stringify(batched);
  }
  return figures;
}
