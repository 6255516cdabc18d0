// A pool of single-thread scoring workers for the transformers.js backend on wasm. onnxruntime-web
// does more work per CPU-second with one thread than with several (docs/engines.md), so on a
// multi-core machine K workers, each with its own copy of the model and one thread, score K
// batches at once instead of one batch on K threads. Scoring only: sampling and greedy decoding
// stay on the engine's own session.
//
// The pool starts lazily, on the first scoring call that can use it, and the engine's session
// scores batches until a pool worker is ready, so no call waits for the pool to load. Each free
// worker takes the next batch from a queue (longest first); results go back in item order. A
// failing worker (an error reply, an uncaught error, an unreadable message) drops the whole pool:
// the batches it and the others held go back to the queue and the engine's session finishes them.
import { EngineError } from '../protocol';
import type { ScoreResult } from '../types';
import type { PreparedScore } from './scoreBatch';

/** What a pool worker needs to load the same model files the engine loaded. */
export interface PoolLoadRequest {
  modelId: string;
  revision?: string;
  /** transformers.js's `env.localModelPath` as the engine set it (a root-relative path). */
  localModelPath: string;
  allowRemoteModels: boolean;
  /** onnxruntime session options, as the engine's session got them. */
  sessionOptions: Record<string, unknown>;
}

export type PoolRequest =
  | { type: 'load'; request: PoolLoadRequest }
  | { type: 'score'; id: number; batch: PreparedScore[]; padId: number };

export type PoolReply =
  | { type: 'loaded' }
  | { type: 'scored'; id: number; results: ScoreResult[] }
  | { type: 'failed'; id: number | null; message: string };

/** What the pool needs from a Worker (tests pass in-process stand-ins). */
export interface PoolWorker {
  postMessage(message: PoolRequest): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: Event) => void): void;
  terminate(): void;
}

/** Workers per pool: one per core, at most 4 (each holds a copy of the model). */
export const MAX_POOL_WORKERS = 4;
/** Models above this many bytes of ONNX files keep to the engine's session. */
export const MAX_POOL_MODEL_BYTES = 200 * 1024 * 1024;
/** Fewest texts per batch when a call is spread over the pool. */
const MIN_POOL_BATCH = 2;
/** Batches per pool worker a call is cut into, so that the last ones end close together. */
const BATCHES_PER_WORKER = 4;

/**
 * How many scoring workers a model gets: `requested` (ModelSpec.scoreWorkers) when given,
 * otherwise one per core up to MAX_POOL_WORKERS; 1 (no pool) for a large model or a single core.
 * Only in a cross-origin isolated page, like onnxruntime-web's threads.
 */
export function poolSize(options: {
  requested: number | undefined;
  cores: number;
  isolated: boolean;
  modelBytes: number;
}): number {
  const { requested, cores, isolated, modelBytes } = options;
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new EngineError(
      'bad-request',
      `scoreWorkers must be a positive integer, got ${requested}`,
    );
  }
  if (!isolated || modelBytes <= 0 || modelBytes > MAX_POOL_MODEL_BYTES) return 1;
  const size = requested ?? Math.min(cores, MAX_POOL_WORKERS);
  return size >= 2 ? Math.min(size, MAX_POOL_WORKERS) : 1;
}

/** The most texts per batch when `items` texts are spread over `workers` pool workers. */
export function poolBatchSize(items: number, workers: number, maxBatch: number): number {
  const even = Math.ceil(items / (workers * BATCHES_PER_WORKER));
  return Math.max(MIN_POOL_BATCH, Math.min(maxBatch, even));
}

interface Slot {
  worker: PoolWorker;
  state: 'loading' | 'idle' | 'busy';
  /** The batch this worker is scoring, and what to do with its answer. */
  job: { id: number; resolve(results: ScoreResult[]): void; reject(error: Error): void } | null;
}

export class ScorePool {
  private readonly slots: Slot[];
  private droppedReason: string | null = null;
  private nextId = 1;
  /** Wakes the running call when a worker became ready or the pool was dropped. */
  private onChange: (() => void) | null = null;

  constructor(size: number, spawn: () => PoolWorker, request: PoolLoadRequest) {
    const started: PoolWorker[] = [];
    const start = (): PoolWorker => {
      try {
        started.push(spawn());
        return started.at(-1) as PoolWorker;
      } catch (error) {
        // Workers that did start are not left running.
        for (const worker of started) worker.terminate();
        throw error;
      }
    };
    this.slots = Array.from({ length: size }, () => {
      const slot: Slot = { worker: start(), state: 'loading', job: null };
      slot.worker.addEventListener('message', (event) =>
        this.receive(slot, event.data as PoolReply),
      );
      slot.worker.addEventListener('error', (event) => {
        // An uncaught error in the worker: keep it from also surfacing as the engine's own.
        event.preventDefault();
        const message = (event as { message?: unknown }).message;
        const detail = typeof message === 'string' && message ? `: ${message}` : '';
        this.drop(`a scoring worker stopped${detail}`);
      });
      slot.worker.addEventListener('messageerror', () =>
        this.drop('a message from a scoring worker could not be read'),
      );
      slot.worker.postMessage({ type: 'load', request });
      return slot;
    });
  }

  get size(): number {
    return this.slots.length;
  }

  /** False once a worker failed: the engine's session scores everything from then on. */
  get alive(): boolean {
    return this.droppedReason === null;
  }

  get dropReason(): string | null {
    return this.droppedReason;
  }

  /** Workers that have loaded the model (0 once the pool is dropped). */
  get readyCount(): number {
    return this.alive ? this.slots.filter((s) => s.state !== 'loading').length : 0;
  }

  /** Stops every worker (unload, another model, a failure). */
  dispose(): void {
    this.drop('the model was unloaded', false);
  }

  /**
   * Scores `batches`: free pool workers take the next one from the queue (the longest first);
   * while no pool worker is ready, `main` (the engine's session) does. `onDone` receives each
   * batch's results as it completes, with how many pool workers have scored batches so far. On
   * abort no further batch is handed out and the call ends, cancelled, once the batches
   * already handed out are back, so that every worker is free again.
   */
  async run(
    batches: readonly PreparedScore[][],
    padId: number,
    main: (batch: readonly PreparedScore[]) => Promise<ScoreResult[]>,
    onDone: (batch: number, results: ScoreResult[], poolWorkers: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    // Longest batches first: a long batch handed out last would finish well after the others.
    const queue = batches.map((_, i) => i).reverse();
    const scoredBy = new Set<Slot>();
    const inFlight = new Set<Promise<void>>();
    let remaining = batches.length;
    let wake: (() => void) | null = null;
    const poke = (): void => {
      wake?.();
      wake = null;
    };

    const handOut = (): void => {
      if (signal?.aborted || !this.alive) return;
      for (const slot of this.slots) {
        if (slot.state !== 'idle') continue;
        const index = queue.shift();
        if (index === undefined) return;
        const settled: Promise<void> = this.score(slot, batches[index] as PreparedScore[], padId)
          .then(
            (results) => {
              scoredBy.add(slot);
              remaining--;
              onDone(index, results, scoredBy.size);
            },
            (error: Error) => {
              queue.unshift(index);
              this.drop(error.message);
            },
          )
          .finally(() => {
            inFlight.delete(settled);
            handOut();
            poke();
          });
        inFlight.add(settled);
      }
    };

    signal?.addEventListener('abort', poke);
    this.onChange = () => {
      handOut();
      poke();
    };
    try {
      handOut();
      while (remaining > 0) {
        if (signal?.aborted) {
          if (inFlight.size === 0) throw new EngineError('cancelled', 'The request was cancelled.');
        } else if (queue.length > 0 && this.readyCount === 0) {
          const index = queue.shift() as number;
          const results = await main(batches[index] as PreparedScore[]);
          remaining--;
          onDone(index, results, scoredBy.size);
          handOut();
          continue;
        }
        // Nothing for this loop to do until a batch comes back, a worker becomes ready, the pool
        // is dropped or the call is aborted (no await between the checks and here).
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      this.onChange = null;
      signal?.removeEventListener('abort', poke);
    }
  }

  private score(slot: Slot, batch: PreparedScore[], padId: number): Promise<ScoreResult[]> {
    const id = this.nextId++;
    slot.state = 'busy';
    return new Promise<ScoreResult[]>((resolve, reject) => {
      slot.job = { id, resolve, reject };
      slot.worker.postMessage({ type: 'score', id, batch, padId });
    });
  }

  private receive(slot: Slot, reply: PoolReply): void {
    if (!this.alive || typeof reply !== 'object' || reply === null) return;
    if (reply.type === 'loaded') {
      slot.state = 'idle';
      this.onChange?.();
    } else if (reply.type === 'failed') {
      this.drop(`a scoring worker failed: ${reply.message}`);
    } else if (reply.type === 'scored' && slot.job?.id === reply.id) {
      const job = slot.job;
      slot.job = null;
      slot.state = 'idle';
      job.resolve(reply.results);
    }
  }

  /** Terminates every worker; the batches they held are handed back to the running call. */
  private drop(reason: string, warn = true): void {
    if (!this.alive) return;
    this.droppedReason = reason;
    if (warn) console.warn(`Scoring continues on the engine's own session: ${reason}.`);
    for (const slot of this.slots) {
      slot.worker.terminate();
      const job = slot.job;
      slot.job = null;
      job?.reject(new Error(reason));
    }
    this.onChange?.();
  }
}
