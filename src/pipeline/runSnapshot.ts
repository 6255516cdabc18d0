// A pipeline run as the data layer stores and bundles it, and back. The runner names questions
// and D_v items by string ids (the seeds derive from them); the data layer keys rows by their
// number in the source split. This module maps between the two with the data layer's one naming
// rule (data/rowIds), which the browser's run catalog and the Hub loader use too, so a run made
// by `iwsi run` imports into the browser (and a browser run resumes in the CLI) with the same
// ids, hence the same seeds and the same candidates.
import { correctness } from '../core/analyses';
import { CoreError } from '../core/errors';
import type { FilterResult } from '../core/filters';
import type { FilterSummary } from '../core/types';
import type { LoadedDataset } from '../data/datasets/dataset';
import type {
  CandidateRecord,
  DatasetRecord,
  QuestionRecord,
  RunRecord as StoredRun,
  RunSnapshot,
  RunStatus as StoredStatus,
  ValidationItemRecord,
} from '../data/records';
import { rowIds } from '../data/rowIds';
import { applyFilters, deriveRun, type DerivedRun } from './derive';
import {
  RUN_STAGES,
  type CandidateRow,
  type RunInputs,
  type RunRecord,
  type RunStage,
  type RunStatus,
  type ValidationLoss,
} from './types';

/** Everything the runner knows about one run. */
export interface PipelineRunState {
  run: RunRecord;
  inputs: RunInputs;
  candidates: CandidateRow[];
  validationLosses: ValidationLoss[];
}

/** The datasets a run's inputs were read from (D_v may be absent: IWSI then has no Lv). */
export interface RunDatasets {
  questions: LoadedDataset;
  validation: LoadedDataset | null;
}

/** Both directions of the id ↔ row mapping of one run. */
export class RowIds {
  private readonly questionRow = new Map<string, number>();
  private readonly questionId = new Map<number, string>();
  private readonly itemRow = new Map<string, number>();
  private readonly itemId = new Map<number, string>();

  constructor(questions: readonly QuestionRecord[], items: readonly ValidationItemRecord[]) {
    rowIds(questions).forEach((id, i) => {
      const row = (questions[i] as QuestionRecord).row;
      this.questionRow.set(id, row);
      this.questionId.set(row, id);
    });
    rowIds(items).forEach((id, i) => {
      const row = (items[i] as ValidationItemRecord).row;
      this.itemRow.set(id, row);
      this.itemId.set(row, id);
    });
  }

  rowOfQuestion(id: string): number {
    const row = this.questionRow.get(id);
    if (row === undefined) throw new Error(`The run has no question "${id}".`);
    return row;
  }

  idOfQuestion(row: number): string {
    const id = this.questionId.get(row);
    if (id === undefined) throw new Error(`The run has no question in row ${row}.`);
    return id;
  }

  rowOfItem(id: string): number {
    const row = this.itemRow.get(id);
    if (row === undefined) throw new Error(`The run's validation set has no item "${id}".`);
    return row;
  }

  idOfItem(row: number): string {
    const id = this.itemId.get(row);
    if (id === undefined) throw new Error(`The run's validation set has no item in row ${row}.`);
    return id;
  }
}

/** The runner's inputs from stored rows (questions and D_v in row order). */
export function inputsFromRecords(
  questions: readonly QuestionRecord[],
  items: readonly ValidationItemRecord[],
): RunInputs {
  const questionIds = rowIds(questions);
  const itemIds = rowIds(items);
  return {
    questions: questions.map((q, i) => ({
      id: questionIds[i] as string,
      question: q.question,
      gold: q.gold,
    })),
    validation: items.map((v, i) => ({
      id: itemIds[i] as string,
      question: v.question,
      rationale: v.reference,
    })),
  };
}

export function inputsFromDatasets(datasets: RunDatasets): RunInputs {
  return inputsFromRecords(
    datasets.questions.questions,
    datasets.validation?.validationItems ?? [],
  );
}

// ------------------------------------------------------------------------------------ runs

const STORED_STATUS: Record<RunStatus, StoredStatus> = {
  ready: 'created',
  running: 'running',
  paused: 'paused',
  cancelled: 'cancelled',
  failed: 'failed',
  done: 'done',
};

const PIPELINE_STATUS: Record<StoredStatus, RunStatus> = {
  created: 'ready',
  running: 'running',
  paused: 'paused',
  cancelled: 'cancelled',
  failed: 'failed',
  done: 'done',
};

export function storedStatus(status: RunStatus): StoredStatus {
  return STORED_STATUS[status];
}

export function pipelineStatus(status: StoredStatus): RunStatus {
  return PIPELINE_STATUS[status];
}

/** What a stored run has beyond the runner's record. */
export interface StoredRunExtras {
  name: string;
  questionsDatasetId: string | null;
  validationDatasetId: string | null;
  results: StoredRun['results'];
}

export function toStoredRun(run: RunRecord, extras: StoredRunExtras): StoredRun {
  const progress: StoredRun['progress'] = {};
  for (const stage of RUN_STAGES) {
    const { done, total } = run.progress[stage];
    progress[stage] = { done, total, updatedAt: run.updatedAt };
  }
  return {
    id: run.id,
    name: extras.name,
    recipe: run.recipe,
    recipeHash: run.recipeHash,
    questionsDatasetId: extras.questionsDatasetId,
    validationDatasetId: extras.validationDatasetId,
    status: storedStatus(run.status),
    progress,
    results: extras.results,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    error:
      run.status === 'failed'
        ? { message: run.error ?? 'The run failed.', stage: run.stage, at: run.updatedAt }
        : null,
    engine: run.model,
  };
}

/** The stage a stored run is at: the first one not finished (the runner recomputes it). */
function stageOf(progress: RunRecord['progress'], status: RunStatus): RunStage | 'done' {
  if (status === 'done') return 'done';
  for (const stage of RUN_STAGES) {
    const { done, total } = progress[stage];
    if (total === 0 || done < total) return stage;
  }
  return 'self-evaluate';
}

/** The runner's record of a stored run. */
export function fromStoredRun(stored: StoredRun): RunRecord {
  const status = PIPELINE_STATUS[stored.status];
  const progress = {} as RunRecord['progress'];
  for (const stage of RUN_STAGES) {
    const saved = stored.progress[stage];
    progress[stage] = { done: saved?.done ?? 0, total: saved?.total ?? 0 };
  }
  return {
    id: stored.id,
    recipe: stored.recipe,
    recipeHash: stored.recipeHash,
    status,
    stage: stageOf(progress, status),
    progress,
    model: stored.engine,
    error: stored.error?.message ?? null,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
}

// ------------------------------------------------------------------------------ candidates

/** A candidate as the store keeps it (derived columns empty until `withDerivedScores`). */
export function toCandidateRecord(row: CandidateRow, ids: RowIds): CandidateRecord {
  return {
    runId: row.runId,
    questionId: ids.rowOfQuestion(row.questionId),
    index: row.index,
    raw: row.raw,
    text: row.cleaned,
    answer: row.answer,
    rule: row.rule,
    tokens: row.tokens,
    finishReason: row.finishReason,
    loss: row.loss,
    selfScore: row.selfScore,
    reward: row.reward,
    mark: null,
    wPrime: null,
    ds: null,
    decisions: {},
  };
}

/** The runner's row of a stored candidate. */
export function fromCandidateRecord(record: CandidateRecord, ids: RowIds): CandidateRow {
  return {
    runId: record.runId,
    questionId: ids.idOfQuestion(record.questionId),
    index: record.index,
    raw: record.raw,
    cleaned: record.text,
    answer: record.answer,
    rule: record.rule,
    tokens: record.tokens ?? 0,
    finishReason: record.finishReason,
    loss: record.loss,
    selfScore: record.selfScore,
    reward: record.reward,
  };
}

// ------------------------------------------------------------------------------- snapshots

function datasetOf(loaded: LoadedDataset): DatasetRecord {
  return loaded.dataset;
}

/** A run with its raw rows as a data-layer snapshot (derived columns not yet filled). */
export function toRunSnapshot(
  state: PipelineRunState,
  datasets: RunDatasets,
  extras: { name: string; results?: StoredRun['results'] },
): RunSnapshot {
  const questions = datasets.questions.questions;
  const items = datasets.validation?.validationItems ?? [];
  const ids = new RowIds(questions, items);
  const run = toStoredRun(state.run, {
    name: extras.name,
    questionsDatasetId: datasets.questions.dataset.id,
    validationDatasetId: datasets.validation?.dataset.id ?? null,
    results: extras.results ?? { lv: null, filters: {} },
  });
  return {
    run,
    datasets: [datasets.questions, ...(datasets.validation ? [datasets.validation] : [])].map(
      datasetOf,
    ),
    questions: [...questions],
    validationItems: [...items],
    candidates: state.candidates
      .map((row) => toCandidateRecord(row, ids))
      .sort((a, b) => a.questionId - b.questionId || a.index - b.index),
    validationLosses: state.validationLosses
      .map((v) => ({ runId: run.id, row: ids.rowOfItem(v.itemId), loss: v.loss, tokens: null }))
      .sort((a, b) => a.row - b.row),
    trainerJobs: [],
  };
}

/** The questions and D_v items of a snapshot's run, in row order. */
function runRows(snapshot: RunSnapshot): {
  questions: QuestionRecord[];
  items: ValidationItemRecord[];
} {
  const { run } = snapshot;
  return {
    questions: snapshot.questions
      .filter((q) => q.datasetId === run.questionsDatasetId)
      .sort((a, b) => a.row - b.row),
    items: snapshot.validationItems
      .filter((v) => v.datasetId === run.validationDatasetId)
      .sort((a, b) => a.row - b.row),
  };
}

/** The runner's view of a snapshot (e.g. of an imported bundle, to resume it). */
export function fromRunSnapshot(snapshot: RunSnapshot): PipelineRunState {
  const { questions, items } = runRows(snapshot);
  const ids = new RowIds(questions, items);
  return {
    run: fromStoredRun(snapshot.run),
    inputs: inputsFromRecords(questions, items),
    candidates: snapshot.candidates.map((c) => fromCandidateRecord(c, ids)),
    validationLosses: snapshot.validationLosses.map((v) => ({
      itemId: ids.idOfItem(v.row),
      loss: v.loss,
    })),
  };
}

/** The datasets of a snapshot's run, as loaded datasets (to write it again). */
export function snapshotDatasets(snapshot: RunSnapshot): RunDatasets {
  const { questions, items } = runRows(snapshot);
  const { run } = snapshot;
  const find = (id: string | null): DatasetRecord | undefined =>
    snapshot.datasets.find((d) => d.id === id);
  const questionSet = find(run.questionsDatasetId);
  if (!questionSet) throw new Error(`The run's question dataset is missing from the snapshot.`);
  const validationSet = find(run.validationDatasetId);
  return {
    questions: { dataset: questionSet, questions, validationItems: [], warnings: [] },
    validation: validationSet
      ? { dataset: validationSet, questions: [], validationItems: items, warnings: [] }
      : null,
  };
}

// -------------------------------------------------------------------------- derived scores

/** One filter of the recipe over a run; null when its columns are not there yet. */
export interface FilterOutcome {
  result: FilterResult;
  /** Kept candidates whose answer equals the gold answer / kept candidates with a known gold. */
  correct: number;
  judged: number;
}

function tryFilters(derived: DerivedRun, specs: DerivedRunSpecs): (FilterResult | null)[] {
  return specs.map((spec) => {
    try {
      return applyFilters(derived, [spec])[0] ?? null;
    } catch (error) {
      // A filter whose columns are missing (IWSI before scoring, self before rating) has no
      // decisions yet; anything else is a bug.
      if (error instanceof CoreError) return null;
      throw error;
    }
  });
}

type DerivedRunSpecs = Parameters<typeof applyFilters>[1];

/** The recipe's filters over a run's rows, with the accuracy of each kept set. */
export function filterOutcomes(
  derived: DerivedRun,
  specs: DerivedRunSpecs,
): (FilterOutcome | null)[] {
  const { columns } = derived;
  const correct = columns.goldIds
    ? correctness(columns.offsets, columns.answerIds, columns.goldIds)
    : null;
  return tryFilters(derived, specs).map((result) => {
    if (!result) return null;
    let right = 0;
    let judged = 0;
    if (correct) {
      result.keep.forEach((kept, i) => {
        if (kept !== 1 || correct[i] === -1) return;
        judged++;
        if (correct[i] === 1) right++;
      });
    }
    return { result, correct: right, judged };
  });
}

/**
 * A snapshot with the derived columns filled from its raw rows, exactly as the notebook shows
 * them: each candidate's self-consistency mark, w′ and DS (once scored), and the decision of
 * every recipe filter that can run; the run's results get Lv and the filters' summaries.
 */
export function withDerivedScores(snapshot: RunSnapshot): RunSnapshot {
  const state = fromRunSnapshot(snapshot);
  const { recipe } = snapshot.run;
  const derived = deriveRun(recipe, state.inputs, state.candidates, state.validationLosses);
  const flatIndex = new Map<string, number>();
  derived.flat.forEach((row, i) => flatIndex.set(`${row.questionId}#${row.index}`, i));
  const marks = derived.context.votes.marks;
  const weights = derived.scored ? derived.context.weights : null;
  const outcomes = filterOutcomes(derived, recipe.filters);
  const filters: Record<string, FilterSummary> = {};
  for (const outcome of outcomes) {
    if (outcome) filters[outcome.result.summary.label] = outcome.result.summary;
  }
  const ids = new RowIds(runRows(snapshot).questions, runRows(snapshot).items);
  const candidates = snapshot.candidates.map((record): CandidateRecord => {
    const i = flatIndex.get(`${ids.idOfQuestion(record.questionId)}#${record.index}`);
    if (i === undefined) return { ...record, mark: null, wPrime: null, ds: null, decisions: {} };
    const decisions: CandidateRecord['decisions'] = {};
    for (const outcome of outcomes) {
      if (outcome) decisions[outcome.result.summary.label] = outcome.result.keep[i] === 1 ? 1 : 0;
    }
    const ds = weights ? (weights.ds[i] as number) : NaN;
    return {
      ...record,
      mark: marks[i] === 1 ? 1 : 0,
      wPrime: weights ? (weights.wPrime[i] as number) : null,
      ds: Number.isNaN(ds) ? null : ds,
      decisions,
    };
  });
  return {
    ...snapshot,
    run: {
      ...snapshot.run,
      results: { lv: weights ? weights.lv : null, filters },
    },
    candidates,
  };
}
