// The page side of `npm run bench:storage`: writes and reads back the same candidates through
// the store (Dexie) and through raw IndexedDB, each in one transaction, on fresh databases; and
// a small toy run through the app's own runner, engine worker and IndexedDB catalog while
// bench/mainThreadMonitor.js watches the main thread.
import Dexie from 'dexie';
import './mainThreadMonitor.js';
import { recipeHash } from '../src/core/notebook';
import { defaultRecipe } from '../src/core/notebook/defaults';
import { IwsiDatabase } from '../src/data/db';
import type { CandidateRecord } from '../src/data/records';
import { Store, type CandidateInput } from '../src/data/store';
import { startEngineWorker } from '../src/engine/client';
import { WorkerEngine } from '../src/engine/workerEngine';
import { builtinInputs } from '../src/pipeline/builtinInputs';
import { DexieRunCatalog } from '../src/pipeline/dexieStore';
import { newRunRecord, runPipeline } from '../src/pipeline/runner';

export interface StorageBenchRequest {
  candidates: number;
  m: number;
  rounds: number;
  /** Dexie's debug mode (on by default when served from localhost). */
  dexieDebug: boolean;
}

export interface StorageBenchTimes {
  writeMs: number;
  readMs: number;
}

export interface StorageBenchResult {
  store: StorageBenchTimes[];
  raw: StorageBenchTimes[];
  dexieDebug: boolean;
  /** Rows read back per round (both paths), as a check. */
  readBack: number[];
}

function makeCandidates(count: number, m: number): CandidateInput[] {
  const out: CandidateInput[] = [];
  for (let i = 0; i < count; i++) {
    const value = (i * 7919) % 1000;
    const text = `Mia has ${value} marbles. She gets ${i % 13} more, so she has ${value} + ${i % 13} = ${value + (i % 13)} marbles. The answer is ${value + (i % 13)}.`;
    out.push({
      questionId: Math.floor(i / m),
      index: i % m,
      raw: `${text}\nQ: Leo has 4 apples and buys 3 more. How many apples does he have?\nA:`,
      text,
      answer: { kind: 'numeric', raw: String(value + (i % 13)), value: value + (i % 13) },
      rule: 'the-answer-is',
      tokens: 40 + (i % 17),
      finishReason: 'stop',
      loss: 0.5 + (i % 100) / 100,
      selfScore: i % 11,
      reward: null,
      mark: (i % 3 === 0 ? 0 : 1) as 0 | 1,
      wPrime: 1.1,
      ds: 1.1,
      decisions: { 'IWSI (k = 0.79)': (i % 5 === 0 ? 0 : 1) as 0 | 1, LMSI: 1 },
    });
  }
  return out;
}

async function storeRound(inputs: CandidateInput[]): Promise<StorageBenchTimes & { rows: number }> {
  const name = `bench-store-${crypto.randomUUID()}`;
  const store = new Store(new IwsiDatabase(name));
  const run = await store.createRun({
    recipe: defaultRecipe(),
    questionsDatasetId: null,
    validationDatasetId: null,
  });
  const writeStart = performance.now();
  await store.putCandidates(run.id, inputs);
  const writeMs = performance.now() - writeStart;
  const readStart = performance.now();
  const rows = await store.listCandidates(run.id);
  const readMs = performance.now() - readStart;
  store.close();
  await Dexie.delete(name);
  return { writeMs, readMs, rows: rows.length };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
    tx.onerror = () => reject(tx.error);
  });
}

async function rawRound(inputs: CandidateInput[]): Promise<StorageBenchTimes & { rows: number }> {
  const name = `bench-raw-${crypto.randomUUID()}`;
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore('candidates', { keyPath: ['runId', 'questionId', 'index'] });
  };
  const db = await request(open);
  const runId = 'run-raw';
  const writeStart = performance.now();
  // The same rows the store writes (a full CandidateRecord each), built inside the timing.
  const tx = db.transaction('candidates', 'readwrite');
  const table = tx.objectStore('candidates');
  for (const input of inputs) {
    const row: CandidateRecord = {
      runId,
      questionId: input.questionId,
      index: input.index,
      raw: input.raw,
      text: input.text,
      answer: input.answer,
      rule: input.rule,
      tokens: input.tokens ?? null,
      finishReason: input.finishReason ?? null,
      loss: input.loss ?? null,
      selfScore: input.selfScore ?? null,
      reward: input.reward ?? null,
      mark: input.mark ?? null,
      wPrime: input.wPrime ?? null,
      ds: input.ds ?? null,
      decisions: input.decisions ?? {},
    };
    table.put(row);
  }
  await done(tx);
  const writeMs = performance.now() - writeStart;
  const readStart = performance.now();
  const readTx = db.transaction('candidates', 'readonly');
  const rows = await request(
    readTx
      .objectStore('candidates')
      .getAll(IDBKeyRange.bound([runId, -Infinity, -Infinity], [runId, Infinity, Infinity])),
  );
  const readMs = performance.now() - readStart;
  db.close();
  await request(indexedDB.deleteDatabase(name));
  return { writeMs, readMs, rows: rows.length };
}

async function runStorageBench(req: StorageBenchRequest): Promise<StorageBenchResult> {
  Dexie.debug = req.dexieDebug;
  const inputs = makeCandidates(req.candidates, req.m);
  const result: StorageBenchResult = {
    store: [],
    raw: [],
    dexieDebug: req.dexieDebug,
    readBack: [],
  };
  // Warm up both paths on a small batch, then alternate so that drift hits both alike.
  await storeRound(inputs.slice(0, 2000));
  await rawRound(inputs.slice(0, 2000));
  for (let round = 0; round < req.rounds; round++) {
    const viaStore = await storeRound(inputs);
    const viaRaw = await rawRound(inputs);
    result.store.push({ writeMs: viaStore.writeMs, readMs: viaStore.readMs });
    result.raw.push({ writeMs: viaRaw.writeMs, readMs: viaRaw.readMs });
    result.readBack.push(viaStore.rows, viaRaw.rows);
  }
  return result;
}

export interface PipelineBenchRequest {
  questions: number;
  m: number;
}

export interface PipelineBenchResult {
  /** performance.now() when the run started and ended (the window to ask the monitor about). */
  from: number;
  to: number;
  status: string;
  candidates: number;
  device: string;
}

/**
 * The default notebook on the embedded model (toy-arith, wasm) for a few questions, run by the
 * same runner, engine worker and IndexedDB catalog as the app's Generate cell. Loading the model
 * happens before the window; the window covers generation, scoring and every store write.
 */
async function runPipelineBench(req: PipelineBenchRequest): Promise<PipelineBenchResult> {
  // As deployed (see runStorageBench): Dexie's localhost debug mode off.
  Dexie.debug = false;
  const name = `bench-run-${crypto.randomUUID()}`;
  const store = new Store(new IwsiDatabase(name));
  const catalog = new DexieRunCatalog(store);
  const client = startEngineWorker();
  try {
    const engine = new WorkerEngine(() => client);
    const model = await engine.load({
      kind: 'transformers',
      modelId: 'toy-arith',
      device: 'wasm',
      modelBaseUrl: '/models/',
    });
    const recipe = defaultRecipe();
    recipe.dataset.slice = { start: 0, end: req.questions };
    recipe.sampling = { ...recipe.sampling, m: req.m };
    const runId = `bench-${Date.now().toString(36)}`;
    await catalog.createRun(newRunRecord(runId, recipe, recipeHash(recipe)), builtinInputs(recipe));
    const from = performance.now();
    const run = await runPipeline(runId, { engine, model, store: catalog });
    const to = performance.now();
    return {
      from,
      to,
      status: run.status,
      candidates: await store.countCandidates(runId),
      device: model.device,
    };
  } finally {
    client.terminate();
    store.close();
    await Dexie.delete(name);
  }
}

const page = globalThis as unknown as {
  runStorageBench: typeof runStorageBench;
  runPipelineBench: typeof runPipelineBench;
};
page.runStorageBench = runStorageBench;
page.runPipelineBench = runPipelineBench;
document.title = 'storage bench ready';
