// The browser's run catalog (DexieRunCatalog over the IndexedDB store, here on fake-indexeddb)
// records what happened in a run: a cancel stays 'cancelled' (not 'paused') after a reload, the
// engine the run used is stored with the run, and every candidate keeps the finish reason the
// engine gave it, through a resume and into the run's bundle.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { defaultRecipe, recipeHash } from '../../../src/core/notebook';
import { readBundle } from '../../../src/data/bundle';
import { IwsiDatabase } from '../../../src/data/db';
import type { FinishReason } from '../../../src/data/records';
import { exportRunBundle } from '../../../src/data/runBundle';
import { Store } from '../../../src/data/store';
import type { Engine } from '../../../src/engine/types';
import { builtinInputs } from '../../../src/pipeline/builtinInputs';
import { DexieRunCatalog } from '../../../src/pipeline/dexieStore';
import { CANCEL_REASON, newRunRecord, runPipeline } from '../../../src/pipeline/runner';
import { FAKE_MODEL, fakeEngine } from '../ui/fakeEngine';

const QUESTIONS = 2;
const M = 3;
/** The reason the engine below gives candidate i. */
const REASONS: FinishReason[] = ['stop', 'eos', 'length'];

/** The fake model, reporting a different finish reason per candidate index. */
function engineWithReasons(): Engine {
  const engine = fakeEngine();
  return {
    ...engine,
    sample: (prompt, options, call = {}) =>
      engine.sample(prompt, options, {
        ...call,
        onCandidate: (progress) => {
          progress.candidate.finishReason = REASONS[progress.candidate.index] as FinishReason;
          call.onCandidate?.(progress);
        },
      }),
  };
}

const openCatalog = (name: string) =>
  new DexieRunCatalog(new Store(new IwsiDatabase(name, { indexedDB, IDBKeyRange })));

describe('a run in the browser catalog', () => {
  it('stays cancelled after a reload, with its engine and finish reasons, and resumes', async () => {
    const name = `catalog-${Math.random().toString(36).slice(2)}`;
    const recipe = defaultRecipe();
    recipe.dataset.slice = { start: 0, end: QUESTIONS };
    recipe.validation = { source: 'dataset', split: 'validation', slice: { start: 0, end: 2 } };
    recipe.sampling = { ...recipe.sampling, m: M };
    const first = openCatalog(name);
    await first.createRun(newRunRecord('run-1', recipe, recipeHash(recipe)), builtinInputs(recipe));

    const controller = new AbortController();
    const stopped = runPipeline('run-1', {
      engine: engineWithReasons(),
      model: FAKE_MODEL,
      store: first,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.stage === 'generate' && event.done === M + 1) controller.abort(CANCEL_REASON);
      },
    });
    await expect(stopped).rejects.toThrow();
    first.store.close();

    // A reload: a new catalog on the same database.
    const second = openCatalog(name);
    const run = await second.getRun('run-1');
    expect(run?.status).toBe('cancelled');
    expect((await second.store.getRun('run-1'))?.status).toBe('cancelled');
    const engine = {
      kind: 'transformers',
      modelId: FAKE_MODEL.modelId,
      device: FAKE_MODEL.device,
      version: expect.stringMatching(/^@huggingface\/transformers \d+\.\d+\.\d+/),
      eosToken: FAKE_MODEL.eosToken,
    };
    expect(run?.model).toEqual(engine);
    expect((await second.store.getRun('run-1'))?.engine).toEqual(engine);
    const kept = await second.listCandidates('run-1');
    expect(kept.length).toBeGreaterThanOrEqual(M + 1);
    for (const c of kept) expect(c.finishReason).toBe(REASONS[c.index]);

    const done = await runPipeline('run-1', {
      engine: engineWithReasons(),
      model: FAKE_MODEL,
      store: second,
    });
    expect(done.status).toBe('done');
    expect((await second.getRun('run-1'))?.status).toBe('done');
    const all = await second.store.listCandidates('run-1');
    expect(all).toHaveLength(QUESTIONS * M);
    expect(all.map((c) => c.finishReason)).toEqual(
      Array.from({ length: QUESTIONS }, () => REASONS).flat(),
    );

    // The bundle carries both.
    const { bytes } = await exportRunBundle(second.store, 'run-1');
    const { snapshot } = await readBundle(bytes);
    expect(snapshot.run.engine).toEqual(engine);
    expect(snapshot.candidates.map((c) => c.finishReason)).toEqual(all.map((c) => c.finishReason));
    second.store.close();
  });
});
