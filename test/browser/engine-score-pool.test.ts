// Scoring on a pool of single-thread workers (src/engine/backends/scorePool.ts) in headless
// Chromium: through the real engine worker, the pool takes over from the engine's session and
// gives the one-session scores (1e-6 per token); a cancelled call leaves the pool usable; and a
// pool worker that crashes mid-call hands its batches back to the engine's session, every result
// kept.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildLossText } from '../../src/core/lossText';
import { toyArithSplit } from '../../src/core/tasks/toyArithData';
import type { LossText } from '../../src/core/types';
import { configureBrowserRuntime } from '../../src/engine/backends/browserRuntime';
import { scoreBatch, type PreparedScore } from '../../src/engine/backends/scoreBatch';
import { ScorePool, type PoolWorker } from '../../src/engine/backends/scorePool';
import { spawnScoreWorker } from '../../src/engine/backends/scorePoolBrowser';
import { startEngineWorker, type EngineClient } from '../../src/engine/client';
import type { ModelSpec, ScoreProgress, ScoreResult } from '../../src/engine/types';

const spec: ModelSpec = { kind: 'transformers', modelId: 'toy-arith', device: 'wasm' };
const questions = toyArithSplit('validation').slice(0, 24);
const items: LossText[] = questions.flatMap((q) => [
  buildLossText(q.question, q.rationale, 'faithful', '</s>'),
  buildLossText(q.question, q.rationale, 'clean', '</s>'),
]);

/** How long two pool workers may take to start when the whole suite shares two cores (up to ~3 min seen). */
const POOL_START_MS = 420_000;

let pooled: EngineClient;
let single: EngineClient;
let reference: ScoreResult[];

beforeAll(async () => {
  pooled = startEngineWorker();
  single = startEngineWorker();
  const [pooledInfo, singleInfo] = await Promise.all([
    pooled.call('load', { spec: { ...spec, scoreWorkers: 2 } }),
    single.call('load', { spec: { ...spec, scoreWorkers: 1 } }),
  ]);
  expect(pooledInfo.scoreWorkers).toBe(2);
  expect(singleInfo.scoreWorkers).toBe(1);
  reference = await single.call('score', { items });
}, 120_000);

afterAll(() => {
  pooled?.terminate();
  single?.terminate();
});

function expectSameScores(results: ScoreResult[], expected: ScoreResult[]): void {
  expect(results).toHaveLength(expected.length);
  results.forEach((result, i) => {
    const want = expected[i]!;
    expect(result.tokenIds).toEqual(want.tokenIds);
    expect(result.spanMask).toEqual(want.spanMask);
    result.logprobs.forEach((lp, t) => expect(Math.abs(lp - want.logprobs[t]!)).toBeLessThan(1e-6));
    // A span with no tokens has no mean (NaN) on either side.
    if (Number.isNaN(want.meanNll)) expect(result.meanNll).toBeNaN();
    else expect(Math.abs(result.meanNll - want.meanNll)).toBeLessThan(1e-6);
  });
}

async function scoreWithProgress(client: EngineClient, texts: LossText[], signal?: AbortSignal) {
  const progress: ScoreProgress[] = [];
  const results = await client.call(
    'score',
    { items: texts },
    { onProgress: (p) => progress.push(p), ...(signal ? { signal } : {}) },
  );
  return { results, progress };
}

describe('scoring pool through the engine worker', () => {
  it('the model reports one scoring worker per core by default (at most 4)', async () => {
    const client = startEngineWorker();
    try {
      const info = await client.call('load', { spec });
      const cores = navigator.hardwareConcurrency;
      expect(info.scoreWorkers).toBe(cores >= 2 ? Math.min(cores, 4) : 1);
    } finally {
      client.terminate();
    }
  });

  it(
    'takes over from the engine session once loaded, with the one-session scores',
    async () => {
      // The first call starts the pool; the engine's session scores until a worker is ready (each
      // compiles onnxruntime's wasm, which takes long when the suite shares two cores).
      let workers = 0;
      const until = Date.now() + POOL_START_MS;
      while (workers < 2 && Date.now() < until) {
        const { results, progress } = await scoreWithProgress(pooled, items);
        expectSameScores(results, reference);
        expect(progress.at(-1)).toMatchObject({ done: items.length, total: items.length });
        workers = progress.at(-1)!.scoreWorkers ?? 0;
      }
      expect(workers).toBe(2);
    },
    POOL_START_MS + 60_000,
  );

  it('stops handing out batches when cancelled, and the pool scores the next call', async () => {
    const many = [...items, ...items, ...items, ...items];
    const controller = new AbortController();
    const progress: ScoreProgress[] = [];
    const running = pooled.call(
      'score',
      { items: many },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          controller.abort();
        },
      },
    );
    await expect(running).rejects.toMatchObject({ name: 'EngineError', code: 'cancelled' });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)!.done).toBeLessThan(many.length);
    const { results, progress: after } = await scoreWithProgress(pooled, items);
    expectSameScores(results, reference);
    expect(after.at(-1)!.scoreWorkers).toBe(2);
  }, 120_000);
});

describe('a pool worker that crashes', () => {
  it(
    "hands its batches back to the engine's session, every result kept",
    async () => {
      // The engine's session, here in the page: the same model on the same per-batch code.
      configureBrowserRuntime({
        localModelPath: '/models/',
        allowRemoteModels: false,
        numThreads: 1,
      });
      const { AutoModelForCausalLM } = await import('@huggingface/transformers');
      const model = await AutoModelForCausalLM.from_pretrained(spec.modelId, {
        dtype: 'fp32',
        device: 'wasm',
      });
      const padId = 3;
      const session = <T>(job: () => Promise<T>): Promise<T> => job();
      const prepared: PreparedScore[] = await Promise.all(
        items.map(async (item) => {
          const ids = await single.call('tokenize', { text: item.text, addBos: true });
          return { item, ids, truncated: false, textStarts: ids.map((_, i) => i), withBos: true };
        }),
      );
      const batches = Array.from({ length: prepared.length / 4 }, (_, b) =>
        prepared.slice(4 * b, 4 * b + 4),
      );
      const expected: ScoreResult[] = [];
      for (const batch of batches)
        expected.push(...(await scoreBatch(model, batch, padId, session)));

      let spawned = 0;
      const pool = new ScorePool(
        2,
        () =>
          spawned++ === 0
            ? (new Worker(new URL('./scorePoolCrash.worker.ts', import.meta.url), {
                type: 'module',
              }) as PoolWorker)
            : spawnScoreWorker(),
        {
          modelId: spec.modelId,
          localModelPath: '/models/',
          allowRemoteModels: false,
          sessionOptions: {},
        },
      );
      try {
        await vi.waitUntil(() => pool.readyCount === 2, { timeout: POOL_START_MS, interval: 50 });
        const results: ScoreResult[][] = [];
        let onSession = 0;
        await pool.run(
          batches,
          padId,
          (batch) => {
            onSession++;
            return scoreBatch(model, batch, padId, session);
          },
          (b, scored) => (results[b] = scored),
        );
        expect(pool.alive).toBe(false);
        expect(pool.dropReason).toMatch(/crashed on purpose/);
        expect(onSession).toBeGreaterThan(0);
        expect(onSession).toBeLessThan(batches.length);
        expectSameScores(results.flat(), expected);
      } finally {
        pool.dispose();
        await model.dispose();
      }
    },
    POOL_START_MS + 60_000,
  );
});
