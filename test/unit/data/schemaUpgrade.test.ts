// The IndexedDB schema's upgrade from version 1 to 2 (on fake-indexeddb in Node): a database
// written by version 1 opens under the current schema with every row kept, the engine and a
// cancel that the run catalog kept beside a run moved into the run, and candidates' finish
// reasons null (never recorded). Then what version 2 records survives the store and a bundle.
import Dexie from 'dexie';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { readBundle, writeBundle } from '../../../src/data/bundle';
import { IwsiDatabase, SCHEMA_VERSIONS } from '../../../src/data/db';
import type { CandidateRecord, RunRecord } from '../../../src/data/records';
import { exportRunBundle, importRunBundle } from '../../../src/data/runBundle';
import { Store } from '../../../src/data/store';
import { buildSnapshot } from './snapshotFixture';

const fake = { indexedDB, IDBKeyRange };
const uniqueName = (what: string) => `${what}-${Math.random().toString(36).slice(2)}`;

/** A snapshot's rows as version 1 stored them: no engine, no finish reason. */
function versionOneRows(runId: string, status: RunRecord['status']) {
  const snapshot = buildSnapshot({ runId });
  const { engine: _engine, ...run } = snapshot.run;
  const candidates = snapshot.candidates.map(({ finishReason: _reason, ...c }) => c);
  return { snapshot, run: { ...run, status }, candidates };
}

/** Writes rows with a Dexie instance that knows only schema version 1. */
async function createVersionOneDatabase(name: string) {
  const v1 = new Dexie(name, fake);
  v1.version(1).stores(SCHEMA_VERSIONS[0]!.stores);
  const cancelled = versionOneRows('run-cancelled', 'paused');
  const paused = versionOneRows('run-paused', 'paused');
  const imported = versionOneRows('run-imported', 'done');
  await v1.table('datasets').bulkPut(cancelled.snapshot.datasets);
  await v1.table('questions').bulkPut(cancelled.snapshot.questions);
  await v1.table('validationItems').bulkPut(cancelled.snapshot.validationItems);
  await v1.table('runs').bulkPut([cancelled.run, paused.run, imported.run]);
  for (const rows of [cancelled, paused, imported]) {
    await v1.table('candidates').bulkPut(rows.candidates);
  }
  await v1.table('validationLosses').bulkPut(cancelled.snapshot.validationLosses);
  await v1.table('trainerJobs').bulkPut(cancelled.snapshot.trainerJobs);
  const model = { modelId: 'toy-arith', device: 'webgpu', eosToken: '<|endoftext|>' };
  await v1.table('settings').bulkPut([
    // What the run catalog of version 1 kept beside its runs (an imported run has none).
    { key: 'pipeline-run:run-cancelled', value: { stage: 'generate', status: 'cancelled', model } },
    {
      key: 'pipeline-run:run-paused',
      value: { stage: 'score-candidates', status: 'paused', model },
    },
    { key: 'trainer-token', value: 'kept as it was' },
  ]);
  expect(v1.verno).toBe(1);
  v1.close();
  return { cancelled, paused, imported, model };
}

describe('schema version 2', () => {
  it('opens a version-1 database with every row kept and what happened recorded', async () => {
    const name = uniqueName('upgrade');
    const before = await createVersionOneDatabase(name);
    const store = new Store(new IwsiDatabase(name, fake));
    await store.db.open();
    expect(store.db.verno).toBe(SCHEMA_VERSIONS.at(-1)!.version);

    const cancelled = (await store.getRun('run-cancelled')) as RunRecord;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.engine).toEqual({
      kind: before.cancelled.run.recipe.engine.kind,
      ...before.model,
      version: null,
    });
    // The rest of the run record is as it was.
    expect({ ...cancelled, status: 'paused', engine: undefined }).toEqual({
      ...before.cancelled.run,
      engine: undefined,
    });
    expect((await store.getRun('run-paused'))?.status).toBe('paused');
    expect(await store.getRun('run-imported')).toEqual({ ...before.imported.run, engine: null });

    for (const runId of ['run-cancelled', 'run-paused', 'run-imported']) {
      const rows = await store.listCandidates(runId);
      expect(rows).toHaveLength(before.cancelled.candidates.length);
      expect(rows.every((c) => c.finishReason === null)).toBe(true);
    }
    const rows = await store.listCandidates('run-cancelled');
    expect(rows.map(({ finishReason: _reason, ...c }) => c)).toEqual(before.cancelled.candidates);
    const snapshot = await store.readRunSnapshot('run-cancelled');
    expect(snapshot.questions).toEqual(before.cancelled.snapshot.questions);
    expect(snapshot.validationItems).toEqual(before.cancelled.snapshot.validationItems);
    expect(snapshot.validationLosses).toEqual(before.cancelled.snapshot.validationLosses);
    expect(snapshot.trainerJobs).toEqual(before.cancelled.snapshot.trainerJobs);
    expect(await store.getSetting('trainer-token')).toBe('kept as it was');
    // The catalog's note keeps its stage.
    expect(await store.getSetting('pipeline-run:run-paused')).toMatchObject({
      stage: 'score-candidates',
    });
    store.close();
  });

  it('keeps a run’s engine, a cancel and each finish reason through the store and a bundle', async () => {
    const snapshot = buildSnapshot({ runId: 'run-v2' });
    snapshot.run.status = 'cancelled';
    const reasons = new Set(snapshot.candidates.map((c) => c.finishReason));
    expect(reasons).toEqual(new Set(['stop', 'length']));

    const first = new Store(new IwsiDatabase(uniqueName('first'), fake));
    await first.writeRunSnapshot(snapshot);
    expect(await first.readRunSnapshot('run-v2')).toEqual(snapshot);

    const { bytes } = await exportRunBundle(first, 'run-v2', { createdAt: new Date(0) });
    const { manifest } = await readBundle(bytes);
    expect(manifest.version).toBe(2);
    const second = new Store(new IwsiDatabase(uniqueName('second'), fake));
    const imported = await importRunBundle(second, bytes);
    expect(imported.status).toBe('cancelled');
    expect(imported.engine).toEqual(snapshot.run.engine);
    expect(await second.readRunSnapshot('run-v2')).toEqual(snapshot);
    first.close();
    second.close();
  });

  it('stores a candidate’s finish reason as the pipeline hands it over', async () => {
    const store = new Store(new IwsiDatabase(uniqueName('put'), fake));
    const run = await store.createRun({
      recipe: buildSnapshot().run.recipe,
      questionsDatasetId: null,
      validationDatasetId: null,
    });
    expect(run.engine).toBeNull();
    const base = { raw: 'x', text: 'x', answer: null, rule: 'none' as const };
    await store.putCandidates(run.id, [
      { questionId: 0, index: 0, ...base, finishReason: 'eos' },
      { questionId: 0, index: 1, ...base, finishReason: 'length' },
      { questionId: 0, index: 2, ...base },
    ]);
    const rows: CandidateRecord[] = await store.listCandidates(run.id);
    expect(rows.map((c) => c.finishReason)).toEqual(['eos', 'length', null]);
    const engine = {
      kind: 'remote' as const,
      modelId: 'llama',
      device: 'remote http://127.0.0.1:8000/v1',
      version: null,
      eosToken: '</s>',
    };
    await store.updateRunState(run.id, {
      status: 'cancelled',
      engine,
      progress: [{ stage: 'generate', done: 3, total: 4 }],
    });
    expect(await store.getRun(run.id)).toMatchObject({
      status: 'cancelled',
      engine,
      error: null,
      progress: { generate: { done: 3, total: 4 } },
    });
    store.close();
  });
});

describe('bundles of format version 1', () => {
  it('still import: no engine and no finish reasons read as null', async () => {
    const { unzipSync, zipSync, strFromU8, strToU8 } = await import('fflate');
    const { sha256OfBytes } = await import('../../../src/data/hash');
    const snapshot = buildSnapshot({ runId: 'run-old' });
    const files = unzipSync(await writeBundle(snapshot, { createdAt: new Date(0) }));
    // Rewrite the bundle as version 1 wrote it.
    const run = JSON.parse(strFromU8(files['run.json']!));
    delete run.engine;
    files['run.json'] = strToU8(JSON.stringify(run, null, 2));
    files['candidates.jsonl'] = strToU8(
      strFromU8(files['candidates.jsonl']!)
        .split('\n')
        .map((line) => {
          if (line === '') return line;
          const { finishReason: _reason, ...row } = JSON.parse(line);
          return JSON.stringify(row);
        })
        .join('\n'),
    );
    const manifest = JSON.parse(strFromU8(files['manifest.json']!));
    manifest.version = 1;
    for (const entry of manifest.files) {
      entry.bytes = files[entry.path]!.byteLength;
      entry.sha256 = await sha256OfBytes(files[entry.path]!);
    }
    files['manifest.json'] = strToU8(JSON.stringify(manifest));
    expect(strFromU8(files['candidates.jsonl']!)).not.toContain('finishReason');

    const store = new Store(new IwsiDatabase(uniqueName('old-bundle'), fake));
    const imported = await importRunBundle(store, zipSync(files));
    expect(imported.engine).toBeNull();
    const stored = await store.readRunSnapshot('run-old');
    expect(stored.candidates.every((c) => c.finishReason === null)).toBe(true);
    expect(stored.candidates.map(({ finishReason: _a, ...c }) => c)).toEqual(
      snapshot.candidates.map(({ finishReason: _b, ...c }) => c),
    );
    store.close();
  });
});
