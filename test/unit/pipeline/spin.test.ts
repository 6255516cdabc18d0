// SPIN's browser-side steps (src/pipeline/spin.ts): responses sampled through an engine with the
// official prompt, pairs (real = reference, generated = cleaned response), the training file of
// iteration t (its own pairs, then t − 1's) and where each iteration starts from.
import { describe, expect, it } from 'vitest';
import { spinInput } from '../../../src/core/spin';
import type { SpinPair } from '../../../src/core/types';
import type { Candidate, SampleOptions } from '../../../src/engine/types';
import {
  generateSpinResponses,
  nextSpinIteration,
  pairsUpTo,
  SpinCancelled,
  spinIterationStart,
  spinModelFolder,
  spinPairsOf,
  spinResponseSeed,
  spinTrainingFile,
  type SpinItem,
  type SpinIterationRecord,
} from '../../../src/pipeline/spin';

const ITEMS: SpinItem[] = [
  { row: 4, prompt: 'Mia has 3 apples. She gets 2 more. How many now?', reference: 'r4' },
  { row: 5, prompt: 'Leo has 7 coins. He loses 1. How many now?', reference: 'r5' },
  { row: 6, prompt: 'Ava has 2 shells.', reference: 'r6' },
];

/** An engine that records its calls; a token is 4 characters; text names the seed. */
function recordingEngine() {
  const calls: { prompt: string; options: SampleOptions }[] = [];
  return {
    calls,
    async tokenize(text: string, options: { addBos?: boolean } = {}) {
      return Array.from({ length: Math.ceil(text.length / 4) + (options.addBos ? 1 : 0) }, () => 0);
    },
    async sample(prompt: string, options: SampleOptions): Promise<Candidate[]> {
      calls.push({ prompt, options });
      return [{ index: 0, text: `  seed ${options.seed}</s>`, tokens: 3, finishReason: 'eos' }];
    },
  };
}

function pair(prompt: string, iteration: number): SpinPair {
  return {
    prompt,
    input: spinInput(prompt),
    real: `real ${prompt}`,
    generated: `gen ${prompt} @${iteration}`,
    iteration,
  };
}

function iterationRecord(
  iteration: number,
  status: SpinIterationRecord['status'],
  extra: Partial<SpinIterationRecord> = {},
): SpinIterationRecord {
  return {
    iteration,
    generator: 'g',
    pairs: [pair('p', iteration)],
    trainedOn: [],
    trainingRows: 0,
    trainingFileId: null,
    startModel: null,
    jobRecordId: null,
    remoteJobId: null,
    status,
    fineTunedModel: null,
    browserModel: null,
    steps: null,
    finalLoss: null,
    losses: [],
    accuracy: null,
    error: null,
    createdAt: 0,
    updatedAt: 0,
    ...extra,
  };
}

describe('generating the model side of SPIN pairs', () => {
  const settings = {
    iteration: 1,
    seed: 114514,
    temperature: 1,
    maxNewTokens: 256,
    contextLength: 40,
  };

  it('samples one response per prompt with the official prompt and no truncation of the budget beyond the context', async () => {
    const engine = recordingEngine();
    const seen: number[] = [];
    const texts = await generateSpinResponses(engine, ITEMS, settings, {
      onResponse: (p) => seen.push(p.done),
    });
    expect(engine.calls.map((c) => c.prompt)).toEqual(ITEMS.map((i) => spinInput(i.prompt)));
    for (const [i, call] of engine.calls.entries()) {
      const promptTokens = Math.ceil(spinInput(ITEMS[i]!.prompt).length / 4) + 1;
      expect(call.options.n).toBe(1);
      expect(call.options.temperature).toBe(1);
      expect(call.options.stop).toBeUndefined();
      expect(call.options.maxTokens).toBe(Math.min(256, 40 - promptTokens));
    }
    expect(texts).toEqual(engine.calls.map((c) => `  seed ${c.options.seed}</s>`));
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives each (iteration, row) its own seed, independent of the other prompts', async () => {
    const all = recordingEngine();
    await generateSpinResponses(all, ITEMS, settings);
    const alone = recordingEngine();
    await generateSpinResponses(alone, [ITEMS[2]!], settings);
    expect(alone.calls[0]!.options.seed).toBe(all.calls[2]!.options.seed);
    expect(new Set(all.calls.map((c) => c.options.seed)).size).toBe(3);
    expect(spinResponseSeed(114514, 0, 4)).not.toBe(spinResponseSeed(114514, 1, 4));
    expect(all.calls[0]!.options.seed).toBe(spinResponseSeed(114514, 1, 4));
  });

  it('refuses a prompt that fills the context and stops when cancelled', async () => {
    await expect(
      generateSpinResponses(recordingEngine(), ITEMS, { ...settings, contextLength: 10 }),
    ).rejects.toThrow(/row 4/i);
    const abort = new AbortController();
    const engine = recordingEngine();
    const run = generateSpinResponses(engine, ITEMS, settings, {
      signal: abort.signal,
      onResponse: (p) => {
        if (p.done === 1) abort.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(SpinCancelled);
    expect(engine.calls).toHaveLength(1);
  });

  it('pairs each reference (real) with the cleaned response (generated)', () => {
    const pairs = spinPairsOf(ITEMS, ['  one</s>', '\ntwo', 'three</s></s>'], 2, '</s>');
    expect(pairs.map((p) => [p.prompt, p.input, p.real, p.generated, p.iteration])).toEqual([
      [ITEMS[0]!.prompt, spinInput(ITEMS[0]!.prompt), 'r4', 'one', 2],
      [ITEMS[1]!.prompt, spinInput(ITEMS[1]!.prompt), 'r5', 'two', 2],
      [ITEMS[2]!.prompt, spinInput(ITEMS[2]!.prompt), 'r6', 'three', 2],
    ]);
  });
});

describe('the training file of an iteration', () => {
  const byIteration = [0, 1, 2].map((t) => ['a', 'b'].map((p) => pair(p, t)));
  const rows = (text: string) =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('iteration 0 trains on its own pairs: prompt = SPIN input, chosen = real, rejected = generated', () => {
    const file = spinTrainingFile(byIteration, 0);
    expect(file.rows).toBe(2);
    expect(file.trainedOn).toEqual([0]);
    expect(rows(file.text)).toEqual([
      { prompt: spinInput('a'), chosen: 'real a', rejected: 'gen a @0' },
      { prompt: spinInput('b'), chosen: 'real b', rejected: 'gen b @0' },
    ]);
  });

  it('iteration t ≥ 1 adds the pairs of t − 1 (and no older ones) after its own', () => {
    const one = spinTrainingFile(byIteration, 1);
    expect(one.trainedOn).toEqual([1, 0]);
    expect(rows(one.text).map((r) => r['rejected'])).toEqual([
      'gen a @1',
      'gen b @1',
      'gen a @0',
      'gen b @0',
    ]);
    const two = spinTrainingFile(byIteration, 2);
    expect(two.rows).toBe(4);
    expect(rows(two.text).map((r) => r['rejected'])).toEqual([
      'gen a @2',
      'gen b @2',
      'gen a @1',
      'gen b @1',
    ]);
  });

  it('collects the stored pairs of earlier iterations with the current ones', () => {
    const series = { iterations: [iterationRecord(0, 'succeeded'), iterationRecord(1, 'failed')] };
    const current = [pair('new', 1)];
    expect(pairsUpTo(series, 1, current)).toEqual([series.iterations[0]!.pairs, current]);
    expect(() => pairsUpTo({ iterations: [] }, 1, current)).toThrow(/iteration 0/);
  });
});

describe('where an iteration starts', () => {
  const base = { baseModel: 'toy-arith', trainerModel: 'toy-arith-trainer' };

  it('runs the next iteration after a success, and a failed or cancelled one again', () => {
    expect(nextSpinIteration({ iterations: [] })).toBe(0);
    expect(nextSpinIteration({ iterations: [iterationRecord(0, 'succeeded')] })).toBe(1);
    for (const status of ['failed', 'cancelled', 'generated', 'training'] as const) {
      expect(
        nextSpinIteration({
          iterations: [iterationRecord(0, 'succeeded'), iterationRecord(1, status)],
        }),
      ).toBe(1);
    }
  });

  it('iteration 0 starts from the base models, iteration t from t − 1’s trained model', () => {
    expect(spinIterationStart({ ...base, iterations: [] }, 0)).toEqual({
      browserModel: null,
      generator: 'toy-arith',
      startModel: 'toy-arith-trainer',
    });
    const trained = iterationRecord(0, 'succeeded', {
      fineTunedModel: 'ft:toy-arith:spin-iter0:ftjob-1',
      browserModel: spinModelFolder('abc', 0),
    });
    expect(spinIterationStart({ ...base, iterations: [trained] }, 1)).toEqual({
      browserModel: 'spin-abc-iter0',
      generator: 'ft:toy-arith:spin-iter0:ftjob-1',
      startModel: 'ft:toy-arith:spin-iter0:ftjob-1',
    });
    expect(() =>
      spinIterationStart({ ...base, iterations: [iterationRecord(0, 'failed')] }, 1),
    ).toThrow(/iteration 0/);
  });
});
