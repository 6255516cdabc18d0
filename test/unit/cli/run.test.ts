// iwsi run on the embedded toy model: the bundle it writes holds exactly what runPipeline gives
// for the same recipe; Ctrl-C (a real SIGINT to a real process) stops it with what was done
// saved, and --resume ends with the bundle of an uninterrupted run; the data layer's import
// reads the bundle back to the same tables; errors are one sentence with the documented code.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { startServe } from '../../../src/cli/commands/serve';
import { main } from '../../../src/cli/main';
import {
  defaultNotebook,
  encodeNotebook,
  recipeHash,
  type Notebook,
} from '../../../src/core/notebook';
import { getTask } from '../../../src/core/tasks/registry';
import { buildPrompt } from '../../../src/core/tasks/task';
import { readBundle, type ReadBundle } from '../../../src/data/bundle';
import { loadRecipeDatasets } from '../../../src/data/datasets/recipe';
import type { RunSnapshot } from '../../../src/data/records';
import { importRunBundle } from '../../../src/data/runBundle';
import type { Store } from '../../../src/data/store';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import { MemoryStore } from '../../../src/pipeline/memoryStore';
import { newRunRecord, runPipeline } from '../../../src/pipeline/runner';
import {
  inputsFromDatasets,
  toRunSnapshot,
  withDerivedScores,
} from '../../../src/pipeline/runSnapshot';
import { memoryIo, ROOT } from './fixtures';

const MODELS = resolve('public/models');
const QUESTIONS = 3;
const M = 4;
const CANDIDATES = QUESTIONS * M;
/** Files whose bytes depend only on the run's results (run.json and datasets.json hold times). */
const RESULT_FILES = [
  'questions.jsonl',
  'validation.jsonl',
  'candidates.jsonl',
  'scores.jsonl',
  'validation_losses.jsonl',
  'official/samples.jsonl',
  'official/train_loss.json',
  'official/valid_loss.json',
  'official/weight.json',
];

vi.setConfig({ testTimeout: 120_000 });

let dir: string;
let notebook: Notebook;
let notebookPath: string;
/** What runPipeline itself gives for the notebook's recipe. */
let direct: RunSnapshot;
/** The bundle of an uninterrupted `iwsi run`. */
let whole: { bytes: Uint8Array; read: ReadBundle; stdout: string };

async function run(args: string[]) {
  const io = memoryIo();
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

/** The tables of a run, without what differs between two runs of one recipe (ids, times). */
function tables(snapshot: RunSnapshot) {
  return {
    recipeHash: snapshot.run.recipeHash,
    status: snapshot.run.status,
    results: snapshot.run.results,
    progress: Object.fromEntries(
      Object.entries(snapshot.run.progress).map(([stage, p]) => [stage, [p.done, p.total]]),
    ),
    questions: snapshot.questions,
    validationItems: snapshot.validationItems,
    candidates: snapshot.candidates.map(({ runId: _, ...c }) => c),
    validationLosses: snapshot.validationLosses.map(({ runId: _, ...v }) => v),
  };
}

function fileHashes(read: ReadBundle): Record<string, string> {
  return Object.fromEntries(
    read.manifest.files.filter((f) => RESULT_FILES.includes(f.path)).map((f) => [f.path, f.sha256]),
  );
}

/** Starts `iwsi run` as a process and sends it SIGINT once generation has begun. */
function interruptedRun(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/iwsi.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!sent && /run: generate \d+\/\d+/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'iwsi-run-'));
  notebook = defaultNotebook();
  const { recipe } = notebook;
  recipe.dataset.slice = { start: 0, end: QUESTIONS };
  recipe.validation = { source: 'dataset', split: 'validation', slice: { start: 0, end: 4 } };
  recipe.filters = [{ method: 'iwsi', k: 0.79 }, { method: 'lmsi' }, { method: 'self', k: 0.5 }];

  const engine = new TransformersEngine();
  const model = await engine.load({
    kind: 'transformers',
    modelId: 'toy-arith',
    modelBaseUrl: MODELS,
    device: 'cpu',
  });
  const datasets = await loadRecipeDatasets(recipe);
  const inputs = inputsFromDatasets(datasets);
  // Room for a short rationale after the longest prompt keeps the test fast.
  const task = getTask(recipe.task);
  const lengths = await Promise.all(
    inputs.questions.map(
      async (q) => (await engine.tokenize(buildPrompt(task, q.question), { addBos: true })).length,
    ),
  );
  recipe.sampling = { ...recipe.sampling, m: M, maxTokens: Math.max(...lengths) + 48 };
  notebookPath = join(dir, 'notebook.json');
  await writeFile(notebookPath, JSON.stringify(notebook, null, 2));

  const store = new MemoryStore();
  const record = newRunRecord('direct', recipe, recipeHash(recipe), 0);
  await store.addRun(record, inputs);
  await runPipeline('direct', { engine, model, store });
  await engine.unload();
  direct = withDerivedScores(
    toRunSnapshot(
      {
        run: (await store.getRun('direct'))!,
        inputs,
        candidates: await store.listCandidates('direct'),
        validationLosses: await store.getValidationLosses('direct'),
      },
      datasets,
      { name: notebook.title },
    ),
  );

  const out = join(dir, 'whole.zip');
  const result = await run(['run', notebookPath, '--model-dir', MODELS, '--out', out]);
  expect(result.err).not.toContain('iwsi:');
  expect(result.code).toBe(0);
  const bytes = new Uint8Array(await readFile(out));
  whole = { bytes, read: await readBundle(bytes), stdout: result.out };
}, 180_000);

describe('iwsi run', () => {
  it('writes a bundle whose tables equal a direct runPipeline of the same recipe', () => {
    const { snapshot, manifest } = whole.read;
    expect(tables(snapshot)).toEqual(tables(direct));
    expect(snapshot.candidates).toHaveLength(CANDIDATES);
    expect(snapshot.run).toMatchObject({ status: 'done', name: notebook.title });
    expect(manifest.official).toEqual(
      expect.arrayContaining(['samples.jsonl', 'train_loss.json', 'valid_loss.json']),
    );
    // Every candidate has its decisions under each filter's label.
    for (const c of snapshot.candidates) {
      expect(Object.keys(c.decisions).sort()).toEqual(
        ['IWSI (k = 0.79)', 'LMSI', 'self (k = 0.5)'].sort(),
      );
    }
  });

  it('prints kept counts per filter, σ_k and the accuracy of each kept set', () => {
    const { filters } = direct.run.results;
    const iwsi = filters['IWSI (k = 0.79)']!;
    const lines = whole.stdout.split('\n');
    const row = lines.find((line) => line.startsWith('IWSI (k = 0.79)'))!;
    expect(row).toContain(`${iwsi.kept}/${CANDIDATES}`);
    if (iwsi.threshold !== null) expect(row).toContain(`σ_k = ${iwsi.threshold.toFixed(4)}`);
    expect(lines.find((line) => line.startsWith('LMSI'))).toContain(
      `${filters.LMSI!.kept}/${CANDIDATES}`,
    );
    expect(lines.some((line) => line.startsWith('all candidates'))).toBe(true);
    expect(whole.stdout).toMatch(/accuracy of kept/);
    expect(whole.stdout).toContain(`(${CANDIDATES}/${CANDIDATES} candidates, 4 D_v losses)`);
  });

  it('stops on SIGINT with what was done saved, and --resume gives the same bundle', async () => {
    const out = join(dir, 'interrupted.zip');
    const stopped = await interruptedRun([
      'run',
      notebookPath,
      '--model-dir',
      MODELS,
      '--out',
      out,
    ]);
    expect(stopped.stderr).toContain('stopping after the current step');
    expect(stopped.stderr).toContain(`iwsi run --resume ${out}`);
    expect(stopped.code).toBe(130);
    const partial = await readBundle(new Uint8Array(await readFile(out)));
    expect(partial.snapshot.run.status).toBe('paused');
    expect(partial.snapshot.candidates.length).toBeGreaterThan(0);
    expect(partial.snapshot.candidates.length).toBeLessThan(CANDIDATES);
    expect(existsSync(`${out}.partial`)).toBe(false);

    // The notebook may be given again (it must be the bundle's); the link works as well.
    const link = `https://example.org/iwsi/#${await encodeNotebook(notebook)}`;
    const resumed = await run(['run', link, '--resume', out, '--model-dir', MODELS]);
    expect(resumed.err).not.toContain('iwsi:');
    expect(resumed.code).toBe(0);
    const read = await readBundle(new Uint8Array(await readFile(out)));
    expect(read.snapshot.run.id).toBe(partial.snapshot.run.id);
    expect(fileHashes(read)).toEqual(fileHashes(whole.read));
    expect(Object.keys(fileHashes(read))).toHaveLength(RESULT_FILES.length);
    expect(tables(read.snapshot)).toEqual(tables(whole.read.snapshot));
  });

  it("imports with the data layer's import to the same tables", async () => {
    let written: RunSnapshot | null = null;
    // The import's whole contract with the store: look the run up, then write it in one go.
    const store = {
      getRun: async () => undefined,
      writeRunSnapshot: async (snapshot: RunSnapshot) => void (written = snapshot),
    } as unknown as Store;
    const run = await importRunBundle(store, whole.bytes);
    expect(run.id).toBe(whole.read.snapshot.run.id);
    expect(tables(written!)).toEqual(tables(direct));
    expect(written!.datasets.map((d) => d.id)).toEqual(direct.datasets.map((d) => d.id));
  });
});

describe('iwsi run on a server', () => {
  it("runs the notebook's pipeline through the remote engine", async () => {
    const server = await startServe({
      modelDir: join(MODELS, 'toy-arith'),
      name: 'toy',
      port: 0,
      apiKey: 'secret-key',
      allowedOrigins: [],
    });
    try {
      const out = join(dir, 'remote.zip');
      const args = ['run', notebookPath, '--remote', server.baseUrl, '--model', 'toy'];
      const refused = await run([...args, '--out', out]);
      expect(refused.code).toBe(3);
      expect(refused.err).toContain('cannot load the model toy');
      const result = await run([...args, '--api-key', 'secret-key', '--limit', '1', '--out', out]);
      expect(result.err).not.toContain('iwsi:');
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/^run-\S+: done — 1 question × m = 4 \(4 candidates\), toy on /);
      expect(result.out.split('\n')[0]).toContain(server.baseUrl);
      const { snapshot } = await readBundle(new Uint8Array(await readFile(out)));
      expect(snapshot.run.status).toBe('done');
      expect(snapshot.candidates).toHaveLength(M);
      expect(snapshot.candidates.every((c) => Number.isFinite(c.loss))).toBe(true);
      expect(snapshot.validationLosses).toHaveLength(4);
      // The key stays out of the bundle.
      expect(Buffer.from(await readFile(out)).includes('secret-key')).toBe(false);
    } finally {
      await server.close();
    }
  });
});

describe('iwsi run errors', () => {
  it('needs a notebook or a bundle to resume', async () => {
    const result = await run(['run']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^iwsi: give a notebook .* or --resume BUNDLE/);
  });

  it('names a notebook file that is missing and a bundle that is not one', async () => {
    const missing = await run(['run', join(dir, 'nope.json')]);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('nope.json: cannot be read (no such file)');
    const bad = join(dir, 'bad.zip');
    await writeFile(bad, 'not a zip');
    const notBundle = await run(['run', '--resume', bad]);
    expect(notBundle.code).toBe(3);
    expect(notBundle.err).toContain('bad.zip: This file is not a run bundle');
  });

  it('refuses an --out it could not write before running anything', async () => {
    const result = await run(['run', notebookPath, '--out', join(dir, 'no-folder', 'x.zip')]);
    expect(result.code).toBe(2);
    expect(result.err).toContain('does not exist or cannot be written');
    expect(result.err).not.toContain('loading');
  });

  it('refuses a bundle of another recipe than the notebook given', async () => {
    const other = structuredClone(notebook);
    other.recipe.sampling.seed += 1;
    const otherPath = join(dir, 'other.json');
    await writeFile(otherPath, JSON.stringify(other));
    const result = await run(['run', otherPath, '--resume', join(dir, 'whole.zip')]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('holds a run of another recipe');
  });

  it('says where a missing local model was looked for', async () => {
    const result = await run(['run', notebookPath, '--model-dir', join(dir, 'no-models')]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('cannot load the model toy-arith');
    expect(result.err).toContain(join(dir, 'no-models'));
  });

  it('sends a web-llm notebook to a server', async () => {
    const webllm = structuredClone(notebook);
    webllm.recipe.engine = {
      kind: 'webllm',
      modelId: 'Llama-3.1-8B-q4f32_1-MLC',
      version: null,
      baseUrl: null,
    };
    const path = join(dir, 'webllm.json');
    await writeFile(path, JSON.stringify(webllm));
    const result = await run(['run', path]);
    expect(result.code).toBe(2);
    expect(result.err).toContain("needs a browser's WebGPU");
    expect(result.err).toContain('--remote URL');
  });

  it('explains that a Hub dataset needs the network', async () => {
    const hub = structuredClone(notebook);
    hub.recipe.task = 'gsm8k';
    hub.recipe.dataset = {
      id: 'gsm8k',
      revision: 'main',
      config: 'main',
      split: 'train',
      slice: { start: 0, end: 3 },
    };
    const path = join(dir, 'hub.json');
    await writeFile(path, JSON.stringify(hub));
    const before = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:9'; // nothing listens there: as if offline
    try {
      const result = await run(['run', path, '--model-dir', MODELS]);
      expect(result.code).toBe(3);
      expect(result.err).toContain('comes from the Hugging Face Hub, which could not be used');
      expect(result.err).toContain('--questions/--validation FILE');
    } finally {
      if (before === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = before;
    }
  });

  it('runs local dataset files, checking a pinned validation file', async () => {
    const questions = join(dir, 'questions.jsonl');
    await writeFile(
      questions,
      [
        {
          question: 'Mia has 3 apples. She gets 2 more. How many apples does Mia have now?',
          answer: '5',
        },
        {
          question: 'Leo has 9 pens. He gives 4 of them to Sam. How many pens does Leo have now?',
          answer: '5',
        },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n'),
    );
    const validation = join(dir, 'validation.jsonl');
    await writeFile(
      validation,
      JSON.stringify({
        question: 'Ava has 2 cards. She gets 3 more. How many cards does Ava have now?',
        rationale: 'Ava starts with 2 cards. She gets 3 more, so 2 + 3 = 5. The answer is 5.',
        answer: '5',
      }),
    );
    const pinned = structuredClone(notebook);
    pinned.recipe.validation = { source: 'file', name: 'validation.jsonl', sha256: '0'.repeat(64) };
    pinned.recipe.sampling.m = 1;
    const path = join(dir, 'files.json');
    await writeFile(path, JSON.stringify(pinned));
    const base = ['run', path, '--model-dir', MODELS, '--questions', questions];
    const withoutFile = await run(base);
    expect(withoutFile.code).toBe(2);
    expect(withoutFile.err).toContain('give it with --validation FILE');
    const wrongFile = await run([...base, '--validation', validation]);
    expect(wrongFile.code).toBe(3);
    expect(wrongFile.err).toContain('is not the validation file the notebook pins');

    pinned.recipe.validation = { source: 'file', name: 'validation.jsonl', sha256: null };
    await writeFile(path, JSON.stringify(pinned));
    const out = join(dir, 'files.zip');
    const ok = await run([...base, '--validation', validation, '--limit', '1', '--out', out]);
    expect(ok.err).not.toContain('iwsi:');
    expect(ok.code).toBe(0);
    const { snapshot } = await readBundle(new Uint8Array(await readFile(out)));
    // --limit 1: the first question of the file, and the recipe says so.
    expect(snapshot.questions.map((q) => [q.row, q.gold])).toEqual([[0, '5']]);
    expect(snapshot.run.recipe.dataset.slice).toEqual({ start: 0, end: 1 });
    expect(snapshot.validationItems[0]!.reference).toBe(
      'Ava starts with 2 cards. She gets 3 more, so 2 + 3 = 5. The answer is 5.',
    );
    expect(snapshot.candidates).toHaveLength(1);
    expect(snapshot.validationLosses).toHaveLength(1);
  });

  it('takes D_q from the file the notebook pins, with the notebook’s column mapping', async () => {
    const text = [
      {
        prompt_text: 'Ann has 2 pears. She buys 5 more. How many pears does Ann have now?',
        gold: 7,
      },
      { prompt_text: 'Bo has 9 cups. He breaks 3. How many cups does Bo have now?', gold: 6 },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n');
    const questions = join(dir, 'pinned-questions.jsonl');
    await writeFile(questions, text);
    const sha256 = createHash('sha256').update(text).digest('hex');
    const pinned = structuredClone(notebook);
    pinned.recipe.sampling.m = 1;
    pinned.recipe.validation = {
      source: 'dataset',
      split: 'validation',
      slice: { start: 0, end: 1 },
    };
    pinned.recipe.dataset.slice = { start: 1, end: null };
    pinned.recipe.dataset.file = {
      name: 'pinned-questions.jsonl',
      sha256: '0'.repeat(64),
      mapping: { kind: 'columns', question: 'prompt_text', answer: 'gold', rationale: null },
    };
    const path = join(dir, 'pinned-questions.json');
    await writeFile(path, JSON.stringify(pinned));
    const withoutFile = await run(['run', path, '--model-dir', MODELS]);
    expect(withoutFile.code).toBe(2);
    expect(withoutFile.err).toContain(
      'this notebook takes D_q from the file "pinned-questions.jsonl"; give it with --questions FILE',
    );
    const base = ['run', path, '--model-dir', MODELS, '--questions', questions];
    const wrongFile = await run(base);
    expect(wrongFile.code).toBe(3);
    expect(wrongFile.err).toContain(
      `pinned-questions.jsonl is not the questions file the notebook pins: its SHA-256 is ${sha256}`,
    );

    pinned.recipe.dataset.file.sha256 = sha256;
    await writeFile(path, JSON.stringify(pinned));
    const out = join(dir, 'pinned-questions.zip');
    const ok = await run([...base, '--out', out]);
    expect(ok.err).not.toContain('iwsi:');
    expect(ok.code).toBe(0);
    const { snapshot } = await readBundle(new Uint8Array(await readFile(out)));
    // The slice [1:] of the file, read through the notebook's mapping (prompt_text, gold).
    expect(snapshot.questions.map((q) => [q.row, q.question, q.gold])).toEqual([
      [1, 'Bo has 9 cups. He breaks 3. How many cups does Bo have now?', '6'],
    ]);
    expect(snapshot.run.recipe.dataset.file).toEqual(pinned.recipe.dataset.file);
    expect(snapshot.candidates).toHaveLength(1);
  });
});
