// One naming rule for a dataset's rows (data/rowIds), whichever way the rows reach the runner:
// the Hub loader feeding the UI and the CLI (inputsFromDatasets), a CLI bundle imported into the
// browser's IndexedDB and read by the run catalog, and a run the catalog created itself. Seeds
// derive from these ids, so they must agree for rows with numeric ids, string ids, duplicate ids
// and no ids.
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { defaultRecipe, recipeHash, type Recipe } from '../../../src/core/notebook';
import { validationDataset, type LoadedDataset } from '../../../src/data/datasets/dataset';
import { loadHubQuestions } from '../../../src/data/datasets/hub';
import { readBundle, writeBundle } from '../../../src/data/bundle';
import { IwsiDatabase } from '../../../src/data/db';
import { rowIds } from '../../../src/data/rowIds';
import { importRunBundle } from '../../../src/data/runBundle';
import { Store } from '../../../src/data/store';
import { DexieRunCatalog } from '../../../src/pipeline/dexieStore';
import { newRunRecord } from '../../../src/pipeline/runner';
import {
  fromRunSnapshot,
  inputsFromDatasets,
  toRunSnapshot,
  type RunDatasets,
} from '../../../src/pipeline/runSnapshot';
import type { CandidateRow, RunInputs } from '../../../src/pipeline/types';

const START = 20;
const ROWS = 4;
const HUB = 'http://hub.test';
const DATASETS_SERVER = 'http://datasets-server.test';

/** The `id` field (if any) of each row, and the ids the runner must use for rows 20…23. */
const CASES: { name: string; id: (i: number) => unknown; expected: string[] }[] = [
  { name: 'numeric ids', id: (i) => 300 + 7 * i, expected: ['300', '307', '314', '321'] },
  {
    name: 'string ids',
    id: (i) => `obqa-${i}`,
    expected: ['obqa-0', 'obqa-1', 'obqa-2', 'obqa-3'],
  },
  { name: 'duplicate ids', id: (i) => i % 2, expected: ['20', '21', '22', '23'] },
  { name: 'no ids', id: () => undefined, expected: ['20', '21', '22', '23'] },
  // An id that is another row's number would name two rows alike.
  {
    name: 'an id equal to a row number',
    id: (i) => (i === 0 ? 21 : undefined),
    expected: ['20', '21', '22', '23'],
  },
];

function openbookqaRow(id: unknown, i: number): Record<string, unknown> {
  return {
    ...(id === undefined ? {} : { id }),
    question_stem: `Stem ${i}`,
    choices: { text: ['w', 'x', 'y', 'z'], label: ['A', 'B', 'C', 'D'] },
    answerKey: 'ABCD'[i % 4],
  };
}

/** A Hub and datasets-server that serve these OpenBookQA rows through the rows API. */
function hubFetch(rows: Record<string, unknown>[]): typeof fetch {
  const reply = (body: unknown) =>
    new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
  return (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    if (url.pathname.startsWith('/api/datasets/')) {
      return reply({ sha: 'c'.repeat(40), siblings: [{ rfilename: 'README.md' }] });
    }
    const offset = Number(url.searchParams.get('offset'));
    const length = Number(url.searchParams.get('length'));
    return reply({
      features: [],
      rows: rows.slice(offset, offset + length).map((row, i) => ({
        row_idx: offset + i,
        row,
        truncated_cells: [],
      })),
      num_rows_total: rows.length,
      num_rows_per_page: 100,
      partial: false,
    });
  }) as typeof fetch;
}

function recipeFor(): Recipe {
  const recipe = defaultRecipe();
  recipe.task = 'openbookqa';
  recipe.dataset = {
    ...recipe.dataset,
    id: 'allenai/openbookqa',
    config: 'main',
    split: 'train',
    revision: 'main',
    slice: { start: START, end: START + ROWS },
  };
  recipe.validation = { source: 'dataset', split: 'validation', slice: { start: 0, end: 2 } };
  recipe.sampling = { ...recipe.sampling, m: 2 };
  return recipe;
}

/** D_q from the (stubbed) Hub as the UI and the CLI load it; D_v with the same kind of ids. */
async function loadDatasets(id: (i: number) => unknown): Promise<RunDatasets> {
  const source = Array.from({ length: START + ROWS + 5 }, (_, i) =>
    openbookqaRow(id(i - START), i),
  );
  const questions = await loadHubQuestions(
    { task: 'openbookqa', revision: 'main', slice: { start: START, end: START + ROWS } },
    { fetch: hubFetch(source), hubUrl: HUB, datasetsServerUrl: DATASETS_SERVER, via: 'rows' },
  );
  const validation: LoadedDataset = validationDataset(
    {
      task: 'openbookqa',
      name: 'D_v',
      source: { kind: 'builtin', generator: 'toy-arith', version: '1', split: 'validation' },
      slice: { start: 0, end: 2 },
    },
    [0, 1].map((row) => ({
      row,
      question: `Validation ${row}`,
      reference: 'The answer is A.',
      answer: 'A',
      raw: { ...(id(row) === undefined ? {} : { id: id(row) }) },
    })),
  );
  return { questions, validation };
}

/** What `iwsi run` bundles: the inputs named by inputsFromDatasets, m candidates each. */
function cliRun(recipe: Recipe, datasets: RunDatasets, runId: string) {
  const inputs = inputsFromDatasets(datasets);
  const run = newRunRecord(runId, recipe, recipeHash(recipe), 1_700_000_000_000);
  const candidates: CandidateRow[] = inputs.questions.flatMap((q) =>
    [0, 1].map((index) => ({
      runId,
      questionId: q.id,
      index,
      raw: `Because of ${q.id}. The answer is (A).`,
      cleaned: `Because of ${q.id}. The answer is (A).`,
      answer: { kind: 'choice', raw: 'A', value: 'A' },
      rule: 'choice-letter',
      tokens: 9,
      finishReason: 'stop',
      loss: 1 + index,
      selfScore: null,
      reward: null,
    })),
  );
  const validationLosses = inputs.validation.map((v) => ({ itemId: v.id, loss: 0.5 }));
  return { run, inputs, candidates, validationLosses };
}

function freshCatalog(): DexieRunCatalog {
  const name = `row-ids-${Math.random().toString(36).slice(2)}`;
  return new DexieRunCatalog(new Store(new IwsiDatabase(name, { indexedDB, IDBKeyRange })));
}

const idsOf = (inputs: RunInputs) => ({
  questions: inputs.questions.map((q) => q.id),
  validation: inputs.validation.map((v) => v.id),
});

describe('the row naming rule', () => {
  it('uses own ids (numbers as text) when they are unique, else row numbers', () => {
    const rows = (ids: unknown[]) =>
      ids.map((id, i) => ({ row: 10 + i, raw: id === undefined ? {} : { id } }));
    expect(rowIds(rows([5, 9]))).toEqual(['5', '9']);
    expect(rowIds(rows(['a', 'b']))).toEqual(['a', 'b']);
    expect(rowIds(rows(['a', 'a']))).toEqual(['10', '11']);
    expect(rowIds(rows([undefined, undefined]))).toEqual(['10', '11']);
    expect(rowIds(rows(['a', undefined]))).toEqual(['a', '11']);
    // An empty string, a boolean or an object is no id.
    expect(rowIds(rows(['', true, { x: 1 }]))).toEqual(['10', '11', '12']);
  });
});

describe.each(CASES)('rows with $name', ({ id, expected }) => {
  it('get the same ids from the Hub loader, a CLI bundle in the browser store and the catalog', async () => {
    const recipe = recipeFor();
    const datasets = await loadDatasets(id);
    const expectedItems = rowIds(datasets.validation?.validationItems ?? []);

    // The UI's Hub loader and the CLI both name the loaded rows with inputsFromDatasets.
    const loaded = idsOf(inputsFromDatasets(datasets));
    expect(loaded.questions).toEqual(expected);
    expect(loaded.validation).toEqual(expectedItems);

    // A CLI run's bundle, imported into IndexedDB and read by the run catalog.
    const cli = cliRun(recipe, datasets, 'run-cli');
    const bytes = await writeBundle(toRunSnapshot(cli, datasets, { name: 'cli run' }), {
      createdAt: new Date(0),
    });
    const catalog = freshCatalog();
    await importRunBundle(catalog.store, bytes);
    expect(idsOf(await catalog.getInputs('run-cli'))).toEqual(loaded);
    const key = (c: { questionId: string; index: number }) => `${c.questionId}#${c.index}`;
    expect((await catalog.listCandidates('run-cli')).map(key)).toEqual(cli.candidates.map(key));
    expect([...(await catalog.candidateKeys('run-cli'))].sort()).toEqual(
      cli.candidates.map(key).sort(),
    );
    expect((await catalog.getValidationLosses('run-cli')).map((v) => v.itemId)).toEqual(
      expectedItems,
    );
    // Each candidate sits on its question's row.
    const stored = await catalog.store.listCandidates('run-cli');
    expect(stored.map((c) => c.questionId)).toEqual([20, 20, 21, 21, 22, 22, 23, 23]);

    // The CLI resuming that bundle names the rows alike.
    expect(idsOf(fromRunSnapshot((await readBundle(bytes)).snapshot).inputs)).toEqual(loaded);

    // A run the browser created from the loaded inputs reads back the same ids, and so does
    // the CLI from its bundle.
    const browserRun = newRunRecord('run-browser', recipe, recipeHash(recipe), 1_700_000_000_000);
    await catalog.createRun(browserRun, inputsFromDatasets(datasets));
    expect(idsOf(await catalog.getInputs('run-browser'))).toEqual(loaded);
    const snapshot = await catalog.store.readRunSnapshot('run-browser');
    expect(idsOf(fromRunSnapshot(snapshot).inputs)).toEqual(loaded);
    catalog.store.close();
  });
});
