// The resumable runner on the embedded toy model through the real transformers.js engine
// (onnxruntime-node): a run stopped mid-generation, between stages, mid-scoring or
// mid-self-evaluation, or failed by a crashing engine, and then resumed, ends with exactly the
// candidates, losses, decisions and bundle bytes of a run that was never interrupted, and
// writes every row exactly once.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultRecipe, recipeHash, type Recipe } from '../../../src/core/notebook';
import { getTask } from '../../../src/core/tasks/registry';
import { buildPrompt } from '../../../src/core/tasks/task';
import { writeBundle } from '../../../src/data/bundle';
import { loadRecipeDatasets } from '../../../src/data/datasets/recipe';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import { EngineError } from '../../../src/engine/protocol';
import type { Engine, ModelInfo } from '../../../src/engine/types';
import { builtinInputs } from '../../../src/pipeline/builtinInputs';
import { applyFilters, deriveRun } from '../../../src/pipeline/derive';
import { MemoryStore } from '../../../src/pipeline/memoryStore';
import {
  CANCEL_REASON,
  newRunRecord,
  PAUSE_REASON,
  runPipeline,
  type RunnerOptions,
} from '../../../src/pipeline/runner';
import {
  inputsFromDatasets,
  toRunSnapshot,
  withDerivedScores,
  type PipelineRunState,
  type RunDatasets,
} from '../../../src/pipeline/runSnapshot';
import {
  candidateKey,
  type CandidateLoss,
  type CandidateRow,
  type CandidateSelfScore,
  type RunInputs,
  type RunProgressEvent,
  type ValidationLoss,
} from '../../../src/pipeline/types';

const MODELS = resolve('public/models');
const QUESTIONS = 3;
const M = 4;
const VALIDATION = 4;
const CANDIDATES = QUESTIONS * M;

let engine: TransformersEngine;
let model: ModelInfo;
let recipe: Recipe;
let datasets: RunDatasets;
let inputs: RunInputs;
let reference: { state: PipelineRunState; bundle: Uint8Array; writes: WriteLog };

/** A memory store that logs every row written, to prove nothing is written twice. */
class LoggingStore extends MemoryStore {
  readonly log: WriteLog = { candidates: [], losses: [], selfScores: [], validation: [] };

  override async putCandidates(rows: CandidateRow[]): Promise<void> {
    this.log.candidates.push(...rows.map((r) => candidateKey(r.questionId, r.index)));
    await super.putCandidates(rows);
  }
  override async setCandidateLosses(runId: string, losses: CandidateLoss[]): Promise<void> {
    this.log.losses.push(...losses.map((l) => candidateKey(l.questionId, l.index)));
    await super.setCandidateLosses(runId, losses);
  }
  override async setCandidateSelfScores(runId: string, scores: CandidateSelfScore[]) {
    this.log.selfScores.push(...scores.map((s) => candidateKey(s.questionId, s.index)));
    await super.setCandidateSelfScores(runId, scores);
  }
  override async putValidationLosses(runId: string, losses: ValidationLoss[]): Promise<void> {
    this.log.validation.push(...losses.map((v) => v.itemId));
    await super.putValidationLosses(runId, losses);
  }
}

interface WriteLog {
  candidates: string[];
  losses: string[];
  selfScores: string[];
  validation: string[];
}

const RUN_ID = 'run-test';

// Each case runs the whole pipeline (twice when resumed) on the CPU.
vi.setConfig({ testTimeout: 60_000 });

async function newStore(): Promise<LoggingStore> {
  const store = new LoggingStore();
  await store.addRun(newRunRecord(RUN_ID, recipe, recipeHash(recipe), 0), inputs);
  return store;
}

function run(store: LoggingStore, extra: Partial<RunnerOptions> = {}) {
  return runPipeline(RUN_ID, {
    engine,
    model,
    store,
    scoreBatchSize: 4,
    now: () => 0,
    ...extra,
  });
}

/** Runs until `stopWhen` says so (then stops with `reason`); the run must end stopped. */
async function runUntil(
  store: LoggingStore,
  stopWhen: (event: RunProgressEvent) => boolean,
  reason = PAUSE_REASON,
): Promise<void> {
  const controller = new AbortController();
  const outcome = await run(store, {
    signal: controller.signal,
    onProgress: (event) => {
      if (stopWhen(event)) controller.abort(reason);
    },
  }).then(
    () => 'finished',
    () => 'stopped',
  );
  expect(outcome).toBe('stopped');
}

async function stateOf(store: MemoryStore): Promise<PipelineRunState> {
  return {
    run: (await store.getRun(RUN_ID))!,
    inputs: await store.getInputs(RUN_ID),
    candidates: await store.listCandidates(RUN_ID),
    validationLosses: await store.getValidationLosses(RUN_ID),
  };
}

async function bundleOf(state: PipelineRunState): Promise<Uint8Array> {
  const snapshot = withDerivedScores(toRunSnapshot(state, datasets, { name: 'runner test' }));
  return writeBundle(snapshot, { createdAt: new Date(0), generator: 'runner test' });
}

/** Every key appears exactly `times` times in a write log. */
function expectEachOnce(keys: string[], expected: number): void {
  expect(keys).toHaveLength(expected);
  expect(new Set(keys).size).toBe(expected);
}

/** The resumed run equals the uninterrupted one, row for row and byte for byte. */
async function expectSameAsReference(store: LoggingStore): Promise<void> {
  const state = await stateOf(store);
  expect(state.run.status).toBe('done');
  expect(state.candidates).toEqual(reference.state.candidates);
  expect(state.validationLosses).toEqual(reference.state.validationLosses);
  const decisions = (s: PipelineRunState) =>
    applyFilters(deriveRun(recipe, s.inputs, s.candidates, s.validationLosses), recipe.filters).map(
      (r) => [...r.keep],
    );
  expect(decisions(state)).toEqual(decisions(reference.state));
  expect(Buffer.from(await bundleOf(state)).equals(Buffer.from(reference.bundle))).toBe(true);
  expectEachOnce(store.log.candidates, CANDIDATES);
  expectEachOnce(store.log.losses, CANDIDATES);
  expectEachOnce(store.log.validation, VALIDATION);
  expectEachOnce(store.log.selfScores, reference.writes.selfScores.length);
}

beforeAll(async () => {
  engine = new TransformersEngine();
  model = await engine.load({
    kind: 'transformers',
    modelId: 'toy-arith',
    modelBaseUrl: MODELS,
    device: 'cpu',
  });
  recipe = defaultRecipe();
  recipe.dataset.slice = { start: 0, end: QUESTIONS };
  recipe.validation = { source: 'dataset', split: 'validation', slice: { start: 0, end: 4 } };
  recipe.filters = [{ method: 'iwsi', k: 0.79 }, { method: 'lmsi' }, { method: 'self', k: 0.5 }];
  datasets = await loadRecipeDatasets(recipe);
  inputs = inputsFromDatasets(datasets);
  // Room for a short rationale after the longest prompt keeps the test fast.
  const task = getTask(recipe.task);
  const promptTokens = await Promise.all(
    inputs.questions.map(
      async (q) => (await engine.tokenize(buildPrompt(task, q.question), { addBos: true })).length,
    ),
  );
  recipe.sampling = { ...recipe.sampling, m: M, maxTokens: Math.max(...promptTokens) + 48 };

  const store = await newStore();
  await run(store);
  const state = await stateOf(store);
  reference = { state, bundle: await bundleOf(state), writes: store.log };
}, 120_000);

afterAll(async () => {
  await engine?.unload();
});

describe('an uninterrupted run', () => {
  it('uses the same inputs as the browser for a built-in dataset', () => {
    expect(inputs).toEqual(builtinInputs(recipe));
  });

  it('generates, scores and rates everything once', () => {
    const { run: record, candidates, validationLosses } = reference.state;
    expect(record).toMatchObject({ status: 'done', stage: 'done', error: null });
    // The engine as it ran: the installed transformers.js version, not just the recipe's name.
    const installed = JSON.parse(
      readFileSync(resolve('node_modules/@huggingface/transformers/package.json'), 'utf8'),
    ) as { version: string };
    expect(record.model).toEqual({
      kind: 'transformers',
      modelId: 'toy-arith',
      device: 'cpu',
      version: `@huggingface/transformers ${installed.version}`,
      eosToken: model.eosToken,
    });
    // Why each generation ended, as the engine reported it, is kept with the candidate.
    for (const c of candidates) expect(['stop', 'eos', 'length']).toContain(c.finishReason);
    expect(record.progress.generate).toEqual({ done: CANDIDATES, total: CANDIDATES });
    expect(candidates).toHaveLength(CANDIDATES);
    expect(candidates.every((c) => c.loss !== null && Number.isFinite(c.loss))).toBe(true);
    expect(validationLosses).toHaveLength(VALIDATION);
    expect(reference.writes.candidates).toHaveLength(CANDIDATES);
  });

  it('rates exactly the majority-consistent candidates in the self-evaluate stage', () => {
    const { candidates, validationLosses } = reference.state;
    const derived = deriveRun(recipe, inputs, candidates, validationLosses);
    const marks = derived.context.votes.marks;
    const majority = derived.flat.filter((_, i) => marks[i] === 1);
    expect(majority.length).toBeGreaterThan(0);
    derived.flat.forEach((row, i) => {
      if (marks[i] === 1) expect(row.selfScore).toEqual(expect.any(Number));
      else expect(row.selfScore).toBeNull();
    });
    expect(reference.state.run.progress['self-evaluate']).toEqual({
      done: majority.length,
      total: majority.length,
    });
    // Every filter of the recipe, the self filter included, has its decisions.
    const results = applyFilters(derived, recipe.filters);
    expect(results.map((r) => r.keep.length)).toEqual([CANDIDATES, CANDIDATES, CANDIDATES]);
  });
});

describe('progress in the store', () => {
  it('is saved as each batch or rating lands, so a reloaded page shows how far the run got', async () => {
    const store = await newStore();
    const seen: [string, number, number][] = [];
    const reads: Promise<void>[] = [];
    await run(store, {
      onProgress: (event) => {
        // What a page reloaded at this moment would read.
        reads.push(
          store.getRun(RUN_ID).then((stored) => {
            seen.push([event.stage, event.done, stored!.progress[event.stage].done]);
          }),
        );
      },
    });
    await Promise.all(reads);
    const scored = seen.filter(([stage]) => stage !== 'generate');
    expect(scored.map(([stage]) => stage)).toContain('self-evaluate');
    for (const [, done, stored] of scored) expect(stored).toBe(done);
    // Generation saves per question: at most one question's m candidates behind.
    for (const [stage, done, stored] of seen) {
      if (stage === 'generate') expect(done - stored).toBeLessThanOrEqual(M);
    }
  });
});

describe('a stopped run resumes to the identical result', () => {
  it('stopped mid-generation', async () => {
    const store = await newStore();
    await runUntil(store, (e) => e.stage === 'generate' && e.done === M + 1);
    const stopped = await stateOf(store);
    expect(stopped.run).toMatchObject({ status: 'paused', stage: 'generate' });
    expect(stopped.candidates.length).toBeGreaterThanOrEqual(M + 1);
    expect(stopped.candidates.length).toBeLessThan(CANDIDATES);
    expect(stopped.validationLosses).toEqual([]);
    await run(store);
    await expectSameAsReference(store);
  });

  it('stopped between generation and scoring', async () => {
    const store = await newStore();
    await runUntil(store, (e) => e.stage === 'generate' && e.done === CANDIDATES);
    const stopped = await stateOf(store);
    expect(stopped.run.status).toBe('paused');
    expect(stopped.candidates).toHaveLength(CANDIDATES);
    expect(stopped.candidates.every((c) => c.loss === null)).toBe(true);
    expect(stopped.validationLosses).toEqual([]);
    await run(store);
    await expectSameAsReference(store);
  });

  it('stopped mid-scoring of the candidates', async () => {
    const store = await newStore();
    await runUntil(store, (e) => e.stage === 'score-candidates' && e.done === 4);
    const stopped = await stateOf(store);
    expect(stopped.run).toMatchObject({ status: 'paused', stage: 'score-candidates' });
    expect(stopped.validationLosses).toHaveLength(VALIDATION);
    expect(stopped.candidates.filter((c) => c.loss !== null)).toHaveLength(4);
    await run(store);
    await expectSameAsReference(store);
  });

  it('cancelled mid-self-evaluation', async () => {
    const store = await newStore();
    await runUntil(store, (e) => e.stage === 'self-evaluate' && e.done === 1, CANCEL_REASON);
    const stopped = await stateOf(store);
    expect(stopped.run).toMatchObject({ status: 'cancelled', stage: 'self-evaluate' });
    expect(stopped.candidates.filter((c) => c.selfScore !== null)).toHaveLength(1);
    // The stored progress says how far it got, so a reloaded page shows the right bar.
    expect(stopped.run.progress['self-evaluate'].done).toBe(1);
    await run(store);
    await expectSameAsReference(store);
  });
});

/** The real engine, except that one call fails the way a crashed worker does. */
function crashingEngine(crash: 'sample' | 'score', afterCalls: number): Engine {
  let calls = 0;
  const crashed = () =>
    new EngineError('worker-crashed', 'The engine worker stopped unexpectedly: out of memory.');
  return {
    kind: engine.kind,
    load: (spec, options) => engine.load(spec, options),
    unload: () => engine.unload(),
    tokenize: (text, options) => engine.tokenize(text, options),
    detokenize: (ids) => engine.detokenize(ids),
    greedy: (prompt, options, call) => engine.greedy(prompt, options, call),
    async sample(prompt, options, call = {}) {
      if (crash !== 'sample' || ++calls <= afterCalls) return engine.sample(prompt, options, call);
      // Two candidates arrive, then the worker dies.
      const first = options.indices ?? [...Array(options.n).keys()];
      const some = await engine.sample(prompt, { ...options, indices: first.slice(0, 2) });
      some.forEach((candidate, i) =>
        call.onCandidate?.({ candidate, done: i + 1, total: options.n, tokensPerSecond: 0 }),
      );
      throw crashed();
    },
    async score(items, call) {
      if (crash === 'score' && ++calls > afterCalls) throw crashed();
      return engine.score(items, call);
    },
  };
}

describe('a failing engine call', () => {
  it('marks the run failed with the message, keeps finished candidates, and resumes', async () => {
    const store = await newStore();
    await expect(run(store, { engine: crashingEngine('sample', 1) })).rejects.toThrow(
      'out of memory',
    );
    const failed = await stateOf(store);
    expect(failed.run).toMatchObject({
      status: 'failed',
      stage: 'generate',
      error: 'The engine worker stopped unexpectedly: out of memory.',
    });
    // The first question whole, then the two candidates that arrived before the crash.
    expect(failed.candidates).toHaveLength(M + 2);
    expect(failed.candidates).toEqual(
      reference.state.candidates
        .slice(0, M + 2)
        .map((c) => ({ ...c, loss: null, selfScore: null })),
    );
    await run(store);
    await expectSameAsReference(store);
  });

  it('keeps the losses scored before a failed score call', async () => {
    const store = await newStore();
    // D_v is one call (4 items), then the first batch of candidates; the second batch fails.
    await expect(run(store, { engine: crashingEngine('score', 2) })).rejects.toThrow(EngineError);
    const failed = await stateOf(store);
    expect(failed.run).toMatchObject({ status: 'failed', stage: 'score-candidates' });
    expect(failed.validationLosses).toHaveLength(VALIDATION);
    expect(failed.candidates.filter((c) => c.loss !== null)).toHaveLength(4);
    await run(store);
    await expectSameAsReference(store);
  });
});
