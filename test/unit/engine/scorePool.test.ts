// The scoring pool's queue (src/engine/backends/scorePool.ts) with in-process stand-ins for its
// workers: who scores which batch, results in item order, cancellation, failures, and the pool's
// size rules. The real workers are tested in the browser (test/browser/engine-score-pool.test.ts).
import { describe, expect, it } from 'vitest';
import type { LossText } from '../../../src/core/types';
import type { PreparedScore } from '../../../src/engine/backends/scoreBatch';
import {
  MAX_POOL_MODEL_BYTES,
  poolBatchSize,
  poolSize,
  ScorePool,
  type PoolReply,
  type PoolRequest,
  type PoolWorker,
} from '../../../src/engine/backends/scorePool';
import type { ScoreResult } from '../../../src/engine/types';

const item: LossText = { text: 'x', addBos: true, span: [0, 1], maxTokens: 8, mode: 'faithful' };

/** A text whose "score" is its first id, so results show where they came from. */
function text(id: number): PreparedScore {
  return { item, ids: [id], truncated: false, textStarts: [0], withBos: true };
}

function result(p: PreparedScore, by: string): ScoreResult & { by: string } {
  return {
    tokenIds: p.ids,
    logprobs: [],
    spanMask: [],
    meanNll: p.ids[0]!,
    scoredTokens: 0,
    truncated: false,
    by,
  };
}

/** A stand-in worker: answers `load` when `loadNow()` is called and each batch after a tick. */
class FakeWorker implements PoolWorker {
  readonly batches: number[][] = [];
  terminated = false;
  /** What the next score request does instead of answering. */
  misbehave: 'error-reply' | 'uncaught' | 'unreadable' | null = null;
  private readonly listeners = new Map<string, ((event: never) => void)[]>();

  constructor(readonly name: string) {}

  addEventListener(type: string, listener: (event: never) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  postMessage(message: PoolRequest): void {
    if (message.type !== 'score' || this.terminated) return;
    this.batches.push(message.batch.map((p) => p.ids[0]!));
    setTimeout(() => {
      if (this.terminated) return;
      const misbehave = this.misbehave;
      if (misbehave === 'error-reply')
        this.emit('message', { data: { type: 'failed', id: message.id, message: 'no memory' } });
      else if (misbehave === 'uncaught')
        this.emit('error', { message: 'boom', preventDefault: () => {} });
      else if (misbehave === 'unreadable') this.emit('messageerror', {});
      else {
        const results = message.batch.map((p) => result(p, this.name));
        this.emit('message', { data: { type: 'scored', id: message.id, results } });
      }
    }, 1);
  }

  loadNow(): void {
    this.emit('message', { data: { type: 'loaded' } satisfies PoolReply });
  }

  terminate(): void {
    this.terminated = true;
  }

  private emit(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event as never);
  }
}

function newPool(size: number): { pool: ScorePool; workers: FakeWorker[] } {
  const workers: FakeWorker[] = [];
  const request = { modelId: 'm', localModelPath: '/models/', allowRemoteModels: false };
  const pool = new ScorePool(
    size,
    () => {
      const worker = new FakeWorker(`w${workers.length}`);
      workers.push(worker);
      return worker;
    },
    { ...request, sessionOptions: {} },
  );
  return { pool, workers };
}

/** Batches of two texts: batch b holds ids 10b and 10b + 1. */
function batchesOf(count: number): PreparedScore[][] {
  return Array.from({ length: count }, (_, b) => [text(10 * b), text(10 * b + 1)]);
}

async function runAll(pool: ScorePool, batches: PreparedScore[][], signal?: AbortSignal) {
  const results: (ScoreResult & { by: string })[][] = [];
  const progress: number[] = [];
  const mainBatches: number[] = [];
  await pool.run(
    batches,
    0,
    async (batch) => {
      mainBatches.push(batch[0]!.ids[0]! / 10);
      await new Promise((resolve) => setTimeout(resolve, 2));
      return batch.map((p) => result(p, 'main'));
    },
    (b, scored, workers) => {
      results[b] = scored as (ScoreResult & { by: string })[];
      progress.push(workers);
    },
    signal,
  );
  return { results, progress, mainBatches };
}

function expectInOrder(results: ScoreResult[][], count: number): void {
  expect(results.flat().map((r) => r.meanNll)).toEqual(
    Array.from({ length: count }, (_, b) => [10 * b, 10 * b + 1]).flat(),
  );
}

describe('ScorePool', () => {
  it('spreads batches over its ready workers, longest first, results in order', async () => {
    const { pool, workers } = newPool(2);
    workers.forEach((w) => w.loadNow());
    const { results, progress, mainBatches } = await runAll(pool, batchesOf(8));
    expectInOrder(results, 8);
    expect(mainBatches).toEqual([]);
    expect(workers.every((w) => w.batches.length > 0)).toBe(true);
    // The queue starts from the last (longest) batch.
    expect(workers[0]!.batches[0]).toEqual([70, 71]);
    expect(progress.at(-1)).toBe(2);
  });

  it("scores on the engine's session until a worker is ready, then hands over", async () => {
    const { pool, workers } = newPool(2);
    let calls = 0;
    const running = pool.run(
      batchesOf(6),
      0,
      async (batch) => {
        // The first worker finishes loading while the session scores its first batch.
        if (calls++ === 0) workers[0]!.loadNow();
        return batch.map((p) => result(p, 'main'));
      },
      () => {},
    );
    await running;
    expect(calls).toBe(1);
    expect(workers[0]!.batches).toHaveLength(5);
    expect(workers[1]!.batches).toHaveLength(0);
  });

  for (const misbehave of ['error-reply', 'uncaught', 'unreadable'] as const) {
    it(`drops the pool when a worker fails (${misbehave}) and keeps every result`, async () => {
      const { pool, workers } = newPool(2);
      workers.forEach((w) => w.loadNow());
      workers[1]!.misbehave = misbehave;
      const { results, mainBatches } = await runAll(pool, batchesOf(8));
      expectInOrder(results, 8);
      expect(pool.alive).toBe(false);
      expect(workers.every((w) => w.terminated)).toBe(true);
      expect(mainBatches.length).toBeGreaterThan(0);
      expect(results.flat().filter((r) => r.by === 'w1')).toEqual([]);
      // From now on every batch goes to the engine's session.
      const again = await runAll(pool, batchesOf(3));
      expect(again.mainBatches).toHaveLength(3);
    });
  }

  it('hands out nothing more once cancelled, and stays usable', async () => {
    const { pool, workers } = newPool(2);
    workers.forEach((w) => w.loadNow());
    const controller = new AbortController();
    const batches = batchesOf(10);
    const scored: number[] = [];
    const running = pool.run(
      batches,
      0,
      () => Promise.reject(new Error('not expected')),
      (b) => {
        scored.push(b);
        controller.abort();
      },
      controller.signal,
    );
    await expect(running).rejects.toMatchObject({ name: 'EngineError', code: 'cancelled' });
    // The two batches handed out before the abort came back; nothing else went out.
    expect(scored).toHaveLength(2);
    expect(workers.flatMap((w) => w.batches)).toHaveLength(2);
    const { results } = await runAll(pool, batchesOf(4));
    expectInOrder(results, 4);
    expect(pool.alive).toBe(true);
  });

  it('does not leave workers running when one cannot start', () => {
    const started: FakeWorker[] = [];
    const spawn = (): FakeWorker => {
      if (started.length === 2) throw new Error('no nested workers here');
      const worker = new FakeWorker(`w${started.length}`);
      started.push(worker);
      return worker;
    };
    const request = { modelId: 'm', localModelPath: '/', allowRemoteModels: false };
    expect(() => new ScorePool(3, spawn, { ...request, sessionOptions: {} })).toThrow(/nested/);
    expect(started.map((w) => w.terminated)).toEqual([true, true]);
  });

  it('terminates its workers when disposed', () => {
    const { pool, workers } = newPool(3);
    pool.dispose();
    expect(workers.map((w) => w.terminated)).toEqual([true, true, true]);
    expect(pool.readyCount).toBe(0);
  });
});

describe('pool size', () => {
  const base = { requested: undefined, cores: 8, isolated: true, modelBytes: 8e6 };

  it('is one worker per core, at most 4, for small models in an isolated page', () => {
    expect(poolSize(base)).toBe(4);
    expect(poolSize({ ...base, cores: 2 })).toBe(2);
    expect(poolSize({ ...base, cores: 1 })).toBe(1);
    expect(poolSize({ ...base, isolated: false })).toBe(1);
    expect(poolSize({ ...base, modelBytes: MAX_POOL_MODEL_BYTES + 1 })).toBe(1);
    expect(poolSize({ ...base, modelBytes: 0 })).toBe(1);
  });

  it('follows ModelSpec.scoreWorkers', () => {
    expect(poolSize({ ...base, requested: 1 })).toBe(1);
    expect(poolSize({ ...base, requested: 2, cores: 1 })).toBe(2);
    expect(poolSize({ ...base, requested: 9 })).toBe(4);
    expect(() => poolSize({ ...base, requested: 0 })).toThrow(/positive integer/);
  });

  it('cuts a call into about four batches per worker, 2 to 32 texts each', () => {
    expect(poolBatchSize(96, 2, 32)).toBe(12);
    // The pipeline's calls of 8 texts: two batches for each of 2 workers, one for each of 4.
    expect(poolBatchSize(8, 2, 32)).toBe(2);
    expect(poolBatchSize(8, 4, 32)).toBe(2);
    expect(poolBatchSize(3, 2, 32)).toBe(2);
    expect(poolBatchSize(4000, 4, 32)).toBe(32);
  });
});
