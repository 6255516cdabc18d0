// A run in a real browser that loses its engine worker twice — terminated mid-generation and
// again mid-scoring, as a crashed or killed worker would be — and is resumed each time by a new
// worker and a catalog opened afresh on the same IndexedDB database (as after a reload). It ends
// with exactly the result of a run that was never interrupted: the same candidates, losses,
// D_ds decisions and bundle file hashes, and no candidate stored twice.
import Dexie from 'dexie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRecipe, recipeHash, type Recipe } from '../../../src/core/notebook';
import { getTask } from '../../../src/core/tasks/registry';
import { buildPrompt } from '../../../src/core/tasks/task';
import { writeBundle } from '../../../src/data/bundle';
import { IwsiDatabase } from '../../../src/data/db';
import type { RunSnapshot } from '../../../src/data/records';
import { Store } from '../../../src/data/store';
import { startEngineWorker, type EngineClient } from '../../../src/engine/client';
import type { Engine, ModelInfo } from '../../../src/engine/types';
import { WorkerEngine } from '../../../src/engine/workerEngine';
import { builtinInputs } from '../../../src/pipeline/builtinInputs';
import { newRunRecord, runPipeline } from '../../../src/pipeline/runner';
import { DexieRunCatalog } from '../../../src/pipeline/dexieStore';
import { withDerivedScores } from '../../../src/pipeline/runSnapshot';
import type { RunProgressEvent } from '../../../src/pipeline/types';

const MODEL_ID = 'toy-arith';
const QUESTIONS = 2;
const M = 4;
const CANDIDATES = QUESTIONS * M;
const DATABASE = `iwsi-crash-test-${crypto.randomUUID()}`;

let recipe: Recipe;
const stores: Store[] = [];
const clients: EngineClient[] = [];

/** A page's worth of run machinery: a new engine worker and a catalog on the database. */
async function openPage(): Promise<{
  client: EngineClient;
  engine: WorkerEngine;
  model: ModelInfo;
  catalog: DexieRunCatalog;
}> {
  const client = startEngineWorker();
  clients.push(client);
  const engine = new WorkerEngine(() => client);
  const model = await engine.load({
    kind: 'transformers',
    modelId: MODEL_ID,
    device: 'wasm',
    // A root-relative path: transformers.js reads local models from paths, not http(s) URLs.
    modelBaseUrl: '/models/',
  });
  const store = new Store(new IwsiDatabase(DATABASE));
  stores.push(store);
  return { client, engine, model, catalog: new DexieRunCatalog(store) };
}

type Crash =
  /** The worker dies as the engine delivers this many candidates (the sample call in flight). */
  | { candidates: number }
  /** The worker dies once the runner has stored what this progress event reports. */
  | { when: (event: RunProgressEvent) => boolean };

/** Runs until the crash point, where the page's worker is terminated under the run. */
async function runUntilCrash(runId: string, crash: Crash): Promise<void> {
  const page = await openPage();
  let delivered = 0;
  const engine: Engine = {
    kind: page.engine.kind,
    load: (spec, options) => page.engine.load(spec, options),
    unload: () => page.engine.unload(),
    tokenize: (text, options) => page.engine.tokenize(text, options),
    detokenize: (ids) => page.engine.detokenize(ids),
    greedy: (prompt, options, call) => page.engine.greedy(prompt, options, call),
    score: (items, call) => page.engine.score(items, call),
    sample: (prompt, options, call = {}) =>
      page.engine.sample(prompt, options, {
        ...call,
        onCandidate: (progress) => {
          call.onCandidate?.(progress);
          if ('candidates' in crash && ++delivered === crash.candidates) page.client.terminate();
        },
      }),
  };
  const outcome = await runPipeline(runId, {
    engine,
    model: page.model,
    store: page.catalog,
    scoreBatchSize: 4,
    onProgress: (event) => {
      if ('when' in crash && crash.when(event)) page.client.terminate();
    },
  }).then(
    () => 'finished',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  expect(outcome).toBe('The engine was shut down.');
}

async function runToEnd(runId: string): Promise<void> {
  const page = await openPage();
  const run = await runPipeline(runId, {
    engine: page.engine,
    model: page.model,
    store: page.catalog,
    scoreBatchSize: 4,
  });
  expect(run.status).toBe('done');
}

/** The result files of a run's bundle, by path, with their SHA-256 (times and ids excluded). */
async function resultHashes(snapshot: RunSnapshot): Promise<Record<string, string>> {
  const { unzipSync } = await import('fflate');
  const bytes = await writeBundle(snapshot, { createdAt: new Date(0) });
  const manifest = JSON.parse(new TextDecoder().decode(unzipSync(bytes)['manifest.json'])) as {
    files: { path: string; sha256: string }[];
  };
  return Object.fromEntries(
    manifest.files
      .filter((f) => f.path !== 'run.json' && f.path !== 'datasets.json')
      .map((f) => [f.path, f.sha256]),
  );
}

function comparable(snapshot: RunSnapshot) {
  return {
    status: snapshot.run.status,
    results: snapshot.run.results,
    candidates: snapshot.candidates.map(({ runId: _, ...c }) => c),
    validationLosses: snapshot.validationLosses.map(({ runId: _, ...v }) => v),
  };
}

beforeAll(async () => {
  recipe = defaultRecipe();
  recipe.dataset.slice = { start: 0, end: QUESTIONS };
  recipe.validation = { source: 'dataset', split: 'validation', slice: { start: 0, end: 3 } };
  recipe.filters = [{ method: 'iwsi', k: 0.79 }, { method: 'lmsi' }];
  const { engine } = await openPage();
  const task = getTask(recipe.task);
  const lengths = await Promise.all(
    builtinInputs(recipe).questions.map(
      async (q) => (await engine.tokenize(buildPrompt(task, q.question), { addBos: true })).length,
    ),
  );
  // Room for a short rationale after the longest prompt keeps the test fast.
  recipe.sampling = { ...recipe.sampling, m: M, maxTokens: Math.max(...lengths) + 48 };
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.terminate();
  for (const store of stores) store.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await Dexie.delete(DATABASE);
  // transformers.js cached the model files in the origin's Cache Storage; leave none behind.
  await caches.delete('transformers-cache');
});

describe('a run whose engine worker dies', () => {
  it('resumes with new workers to the result of an uninterrupted run', async () => {
    const { catalog } = await openPage();
    const inputs = builtinInputs(recipe);
    const hash = recipeHash(recipe);
    await catalog.createRun(newRunRecord('whole', recipe, hash, 0), inputs);
    await catalog.createRun(newRunRecord('crashed', recipe, hash, 0), inputs);

    await runToEnd('whole');

    // The first candidate of the second question arrives, then the worker dies.
    await runUntilCrash('crashed', { candidates: M + 1 });
    const afterFirst = await catalog.getRun('crashed');
    expect(afterFirst).toMatchObject({
      status: 'failed',
      stage: 'generate',
      error: 'The engine was shut down.',
    });
    expect(await catalog.listCandidates('crashed')).toHaveLength(M + 1);

    await runUntilCrash('crashed', { when: (e) => e.stage === 'score-candidates' && e.done === 4 });
    const scored = await catalog.listCandidates('crashed');
    expect(scored).toHaveLength(CANDIDATES);
    expect(scored.filter((c) => c.loss !== null)).toHaveLength(4);
    expect((await catalog.getRun('crashed'))?.stage).toBe('score-candidates');

    await runToEnd('crashed');

    expect(await catalog.store.countCandidates('crashed')).toBe(CANDIDATES);
    // The bundles as exported, with marks, weights, DS and each filter's decisions.
    const whole = withDerivedScores(await catalog.store.readRunSnapshot('whole'));
    const crashed = withDerivedScores(await catalog.store.readRunSnapshot('crashed'));
    expect(comparable(crashed)).toEqual(comparable(whole));
    // D_ds: the IWSI filter kept the same candidates.
    const dds = (s: RunSnapshot) =>
      s.candidates
        .filter((c) => c.decisions['IWSI (k = 0.79)'] === 1)
        .map((c) => [c.questionId, c.index]);
    expect(dds(crashed)).toEqual(dds(whole));
    expect(crashed.candidates.every((c) => c.loss !== null && c.mark !== null)).toBe(true);
    const hashes = await resultHashes(crashed);
    expect(hashes).toEqual(await resultHashes(whole));
    expect(Object.keys(hashes)).toEqual(
      expect.arrayContaining(['candidates.jsonl', 'scores.jsonl', 'validation_losses.jsonl']),
    );
  }, 180_000);
});
