// A realistic run snapshot built with the real core (toy-arith data, answer extraction, votes,
// weights and filters), shared by the Node and browser tests of stores and bundles.
import { createFilterContext, filterLabel, runFilter } from '../../../src/core/filters';
import { defaultRecipe } from '../../../src/core/notebook/defaults';
import { recipeHash } from '../../../src/core/notebook/notebook';
import { flattenColumns } from '../../../src/core/ragged';
import { createRng } from '../../../src/core/rng';
import { extractTaskAnswer } from '../../../src/core/tasks/task';
import { toyArith } from '../../../src/core/tasks/toyArith';
import type { FilterSpec } from '../../../src/core/types';
import { loadToyArithQuestions, loadToyArithValidation } from '../../../src/data/datasets/toyArith';
import type { CandidateRecord, RunSnapshot } from '../../../src/data/records';

export interface FixtureOptions {
  runId?: string;
  questions?: number;
  m?: number;
  seed?: number;
  /** Leave losses of the last question unscored (a run stopped while scoring). */
  partialScores?: boolean;
}

export function buildSnapshot(options: FixtureOptions = {}): RunSnapshot {
  const {
    runId = 'run-fixture',
    questions: n = 6,
    m = 4,
    seed = 7,
    partialScores = false,
  } = options;
  const rng = createRng(seed);
  const recipe = defaultRecipe();
  recipe.dataset.slice = { start: 0, end: n };
  recipe.sampling.m = m;
  const questionSet = loadToyArithQuestions('train', { start: 0, end: n }, '1', 1_700_000_000_000);
  const validationSet = loadToyArithValidation(
    'validation',
    { start: 0, end: 5 },
    '1',
    1_700_000_000_000,
  );
  const candidates: CandidateRecord[] = [];
  for (const q of questionSet.questions) {
    const gold = Number(q.gold);
    for (let index = 0; index < m; index++) {
      const guess = rng.next() < 0.6 ? gold : gold + rng.int(1, 4);
      const raw = `We add it up. The answer is ${guess}.\nQ: another question`;
      const text =
        rng.next() < 0.1 ? 'I am not sure — “ünïcödé”.' : `We add it up. The answer is ${guess}.`;
      const extraction = extractTaskAnswer(toyArith, text, 'faithful');
      candidates.push({
        runId,
        questionId: q.row,
        index,
        raw,
        text,
        answer: extraction.answer,
        rule: extraction.rule,
        tokens: 10 + rng.int(0, 20),
        // The last candidate of each question ran out of tokens.
        finishReason: index === m - 1 ? 'length' : 'stop',
        loss: partialScores && q.row === n - 1 ? null : 0.2 + rng.next() * 2,
        selfScore: rng.int(0, 10),
        reward: index === 0 ? 0 : rng.next() * 4 - 2,
        mark: null,
        wPrime: null,
        ds: null,
        decisions: {},
      });
    }
  }
  const validLosses = validationSet.validationItems.map((item) => ({
    runId,
    row: item.row,
    loss: 0.5 + rng.next(),
    tokens: 30,
  }));
  const summaries: RunSnapshot['run']['results']['filters'] = {};
  let lv: number | null = null;
  if (!partialScores) {
    // A loss that overflowed: bundles must keep non-finite numbers.
    (candidates.at(-1) as CandidateRecord).loss = Infinity;
    // Derived columns from the real core: marks, w', DS and two filters' decisions.
    const answers = questionSet.questions.map((q) =>
      candidates.filter((c) => c.questionId === q.row).map((c) => c.answer),
    );
    const losses = questionSet.questions.map((q) =>
      candidates.filter((c) => c.questionId === q.row).map((c) => c.loss as number),
    );
    const context = createFilterContext(flattenColumns({ answers, losses }), {
      validLosses: validLosses.map((v) => v.loss),
    });
    const specs: FilterSpec[] = [{ method: 'iwsi', k: 0.79 }, { method: 'lmsi' }];
    const results = specs.map((spec) => runFilter(spec, context));
    candidates.forEach((c, i) => {
      c.mark = context.votes.marks[i] === 1 ? 1 : 0;
      c.wPrime = context.weights.wPrime[i] as number;
      const ds = context.weights.ds[i] as number;
      c.ds = Number.isNaN(ds) ? null : ds;
      specs.forEach((spec, s) => {
        c.decisions[filterLabel(spec)] = (results[s]?.keep[i] ?? 0) === 1 ? 1 : 0;
      });
    });
    for (const result of results) summaries[result.summary.label] = result.summary;
    lv = context.weights.lv;
  }
  return {
    run: {
      id: runId,
      name: 'Fixture run',
      recipe,
      recipeHash: recipeHash(recipe),
      questionsDatasetId: questionSet.dataset.id,
      validationDatasetId: validationSet.dataset.id,
      status: partialScores ? 'paused' : 'done',
      progress: { generate: { done: n * m, total: n * m, updatedAt: 1_700_000_000_500 } },
      results: { lv, filters: summaries },
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_001_000,
      error: null,
      engine: {
        kind: 'transformers',
        modelId: 'toy-arith',
        device: 'wasm (4 threads)',
        version: '@huggingface/transformers 4.3.1',
        eosToken: '</s>',
      },
    },
    datasets: [questionSet.dataset, validationSet.dataset],
    questions: questionSet.questions,
    validationItems: validationSet.validationItems,
    candidates,
    validationLosses: validLosses,
    trainerJobs: [
      {
        id: 'job-1',
        runId,
        endpointId: 'local-trainer',
        remoteJobId: 'remote-42',
        kind: 'sft',
        status: 'done',
        events: [{ at: 1_700_000_002_000, type: 'status', message: 'finished' }],
        metrics: {
          loss: [
            { step: 1, value: 1.5 },
            { step: 2, value: NaN },
          ],
        },
        createdAt: 1_700_000_001_500,
        updatedAt: 1_700_000_002_000,
      },
    ],
  };
}
