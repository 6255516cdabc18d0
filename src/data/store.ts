// The typed repository over the local database. The pipeline and the UI use only this API, never
// Dexie. Rules every method keeps:
//   - each write is one transaction: it is stored whole or not at all;
//   - a full disk (QuotaExceededError, however Dexie wraps it) becomes a StorageFullError;
//   - candidates are keyed by (run, question, index), so writing one again replaces it and a
//     resumed run can ask exactly which pairs exist (existingCandidateKeys);
//   - raw scores (loss, self-score, reward) are stored apart from what is derived from them
//     (mark, w', DS, decisions), so changing k or a filter recomputes without regenerating.

import Dexie, { type Table } from 'dexie';
import { formatBytes } from '../core/format';
import { recipeHash as hashRecipe } from '../core/notebook/notebook';
import type { Recipe } from '../core/notebook/schema';
import { DEFAULT_DATABASE_NAME, IwsiDatabase, type CandidatePrimaryKey } from './db';
import type { LoadedDataset } from './datasets/dataset';
import { DataError, isQuotaExceeded, StorageFullError } from './errors';
import type {
  ArtifactRecord,
  CandidateKey,
  CandidateRecord,
  DatasetKind,
  DatasetRecord,
  QuestionRecord,
  RowSlice,
  RunRecord,
  RunEngine,
  RunResults,
  RunSnapshot,
  RunStatus,
  TrainerJobEvent,
  TrainerJobRecord,
  ValidationItemRecord,
  ValidationLossRecord,
} from './records';
import { assertNoSecrets } from './secrets';

/** A candidate as the pipeline hands it over; scores may come later. */
export type CandidateInput = Pick<
  CandidateRecord,
  'questionId' | 'index' | 'raw' | 'text' | 'answer' | 'rule'
> &
  Partial<
    Pick<
      CandidateRecord,
      | 'tokens'
      | 'finishReason'
      | 'loss'
      | 'selfScore'
      | 'reward'
      | 'mark'
      | 'wPrime'
      | 'ds'
      | 'decisions'
    >
  >;

/**
 * New values for some columns of one candidate. `decisions` is merged key by key (a null value
 * removes that filter's decision).
 */
export type CandidateScorePatch = CandidateKey &
  Partial<Pick<CandidateRecord, 'loss' | 'selfScore' | 'reward' | 'mark' | 'wPrime' | 'ds'>> & {
    decisions?: Record<string, 0 | 1 | null>;
  };

/** Progress to record in the same transaction as a batch of results. */
export interface ProgressUpdate {
  stage: string;
  done: number;
  total: number;
}

export interface NewRun {
  recipe: Recipe;
  name?: string;
  questionsDatasetId: string | null;
  validationDatasetId: string | null;
  engine?: RunEngine | null;
}

/** What a running run changes about itself; everything given is written in one transaction. */
export interface RunStatePatch {
  /** `error` is recorded for 'failed' and cleared for any other status. */
  status?: RunStatus;
  error?: { message: string; stage?: string | null };
  engine?: RunEngine | null;
  progress?: readonly ProgressUpdate[];
}

export interface StorageEstimate {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export type IfRunExists = 'fail' | 'replace';

/** Which (question, candidate) pairs of a run are stored. */
export class CandidateKeySet {
  private readonly byQuestion = new Map<number, Set<number>>();
  private count = 0;

  add(questionId: number, index: number): void {
    let indices = this.byQuestion.get(questionId);
    if (!indices) {
      indices = new Set();
      this.byQuestion.set(questionId, indices);
    }
    if (!indices.has(index)) {
      indices.add(index);
      this.count++;
    }
  }

  has(questionId: number, index: number): boolean {
    return this.byQuestion.get(questionId)?.has(index) ?? false;
  }

  get size(): number {
    return this.count;
  }

  /** Questions with at least one stored candidate, ascending. */
  questions(): number[] {
    return [...this.byQuestion.keys()].sort((a, b) => a - b);
  }

  /** Stored candidate indices of a question, ascending. */
  indicesOf(questionId: number): number[] {
    return [...(this.byQuestion.get(questionId) ?? [])].sort((a, b) => a - b);
  }

  /** The pairs still to generate for these questions with m candidates each, in order. */
  missing(questionIds: Iterable<number>, m: number): CandidateKey[] {
    const out: CandidateKey[] = [];
    for (const questionId of questionIds) {
      const have = this.byQuestion.get(questionId);
      for (let index = 0; index < m; index++) {
        if (!have?.has(index)) out.push({ questionId, index });
      }
    }
    return out;
  }
}

function newId(prefix: string): string {
  const random = new Uint8Array(6);
  globalThis.crypto.getRandomValues(random);
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36)}-${hex}`;
}

function checkKey(questionId: number, index: number): void {
  if (!Number.isInteger(questionId) || questionId < 0 || !Number.isInteger(index) || index < 0) {
    throw new DataError(
      'invalid-record',
      `A candidate needs a non-negative integer question id and index, got (${questionId}, ${index}).`,
    );
  }
}

function candidateRecord(runId: string, input: CandidateInput): CandidateRecord {
  checkKey(input.questionId, input.index);
  return {
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
}

function applyPatch(record: CandidateRecord, patch: CandidateScorePatch): void {
  if (patch.loss !== undefined) record.loss = patch.loss;
  if (patch.selfScore !== undefined) record.selfScore = patch.selfScore;
  if (patch.reward !== undefined) record.reward = patch.reward;
  if (patch.mark !== undefined) record.mark = patch.mark;
  if (patch.wPrime !== undefined) record.wPrime = patch.wPrime;
  if (patch.ds !== undefined) record.ds = patch.ds;
  if (patch.decisions) {
    const decisions = { ...record.decisions };
    for (const [key, value] of Object.entries(patch.decisions)) {
      if (value === null) delete decisions[key];
      else decisions[key] = value;
    }
    record.decisions = decisions;
  }
}

const MIN = Dexie.minKey;
const MAX = Dexie.maxKey;

export class Store {
  constructor(readonly db: IwsiDatabase) {}

  close(): void {
    this.db.close();
  }

  /**
   * Runs `body` in one read-write transaction over `tables`; a quota failure anywhere in it
   * becomes a StorageFullError (and, as with any failure, nothing of it is kept).
   */
  private async write<T>(what: string, tables: Table[], body: () => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction('rw', tables, body);
    } catch (error) {
      if (isQuotaExceeded(error)) throw new StorageFullError(what, await usageDetail(), error);
      // Dexie may wrap what the body threw; hand back our own error.
      const inner = (error as { inner?: unknown } | null)?.inner;
      throw inner instanceof DataError ? inner : error;
    }
  }

  private async requireRunIn(runId: string): Promise<RunRecord> {
    const run = await this.db.runs.get(runId);
    if (!run) throw new DataError('not-found', `There is no run "${runId}" in this browser.`);
    return run;
  }

  private async touchRun(runId: string, progress?: ProgressUpdate): Promise<void> {
    const run = await this.requireRunIn(runId);
    const now = Date.now();
    run.updatedAt = now;
    if (progress) {
      run.progress = {
        ...run.progress,
        [progress.stage]: { done: progress.done, total: progress.total, updatedAt: now },
      };
    }
    await this.db.runs.put(run);
  }

  // ------------------------------------------------------------------------------ datasets

  /** Stores a loaded dataset (record and rows) in one transaction, replacing one with its id. */
  async saveDataset(loaded: LoadedDataset): Promise<DatasetRecord> {
    const { dataset, questions, validationItems } = loaded;
    const rows = dataset.kind === 'questions' ? questions.length : validationItems.length;
    if (rows !== dataset.count) {
      throw new DataError(
        'invalid-record',
        `Dataset "${dataset.name}" says it has ${dataset.count} rows but ${rows} were given.`,
      );
    }
    const { datasets, questions: questionTable, validationItems: itemTable } = this.db;
    await this.write(
      `dataset "${dataset.name}"`,
      [datasets, questionTable, itemTable],
      async () => {
        const range: [[string, unknown], [string, unknown]] = [
          [dataset.id, MIN],
          [dataset.id, MAX],
        ];
        await questionTable
          .where('[datasetId+row]')
          .between(...range)
          .delete();
        await itemTable
          .where('[datasetId+row]')
          .between(...range)
          .delete();
        await datasets.put(dataset);
        if (dataset.kind === 'questions') await questionTable.bulkPut(questions);
        else await itemTable.bulkPut(validationItems);
      },
    );
    return dataset;
  }

  getDataset(id: string): Promise<DatasetRecord | undefined> {
    return this.db.datasets.get(id);
  }

  async listDatasets(kind?: DatasetKind): Promise<DatasetRecord[]> {
    const all = kind
      ? await this.db.datasets.where('kind').equals(kind).toArray()
      : await this.db.datasets.toArray();
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Questions of a dataset ordered by row, optionally only rows [start, end). */
  listQuestions(datasetId: string, slice?: RowSlice): Promise<QuestionRecord[]> {
    return this.db.questions
      .where('[datasetId+row]')
      .between([datasetId, slice?.start ?? MIN], [datasetId, slice?.end ?? MAX], true, false)
      .toArray();
  }

  listValidationItems(datasetId: string): Promise<ValidationItemRecord[]> {
    return this.db.validationItems
      .where('[datasetId+row]')
      .between([datasetId, MIN], [datasetId, MAX])
      .toArray();
  }

  /** Deletes a dataset and its rows; refused while a run uses it. */
  async deleteDataset(id: string): Promise<void> {
    const { datasets, questions, validationItems, runs } = this.db;
    await this.write(
      `the deletion of dataset ${id}`,
      [datasets, questions, validationItems, runs],
      async () => {
        const users = await runs
          .filter((run) => run.questionsDatasetId === id || run.validationDatasetId === id)
          .toArray();
        if (users.length > 0) {
          throw new DataError(
            'conflict',
            `Dataset ${id} is used by ${users.length} run(s) (${users.map((r) => r.name).join(', ')}); delete those runs first.`,
          );
        }
        await questions.where('[datasetId+row]').between([id, MIN], [id, MAX]).delete();
        await validationItems.where('[datasetId+row]').between([id, MIN], [id, MAX]).delete();
        await datasets.delete(id);
      },
    );
  }

  // ---------------------------------------------------------------------------------- runs

  async createRun(input: NewRun): Promise<RunRecord> {
    const now = Date.now();
    const hash = hashRecipe(input.recipe);
    const run: RunRecord = {
      id: newId('run'),
      name: input.name ?? `${input.recipe.task} ${new Date(now).toISOString().slice(0, 16)}`,
      recipe: input.recipe,
      recipeHash: hash,
      questionsDatasetId: input.questionsDatasetId,
      validationDatasetId: input.validationDatasetId,
      status: 'created',
      progress: {},
      results: { lv: null, filters: {} },
      createdAt: now,
      updatedAt: now,
      error: null,
      engine: input.engine ?? null,
    };
    await this.write(`run "${run.name}"`, [this.db.runs], async () => {
      await this.db.runs.add(run);
    });
    return run;
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return this.db.runs.get(id);
  }

  /** All runs (or those of one recipe), newest first. */
  async listRuns(filter: { recipeHash?: string } = {}): Promise<RunRecord[]> {
    const runs =
      filter.recipeHash === undefined
        ? await this.db.runs.toArray()
        : await this.db.runs.where('recipeHash').equals(filter.recipeHash).toArray();
    return runs.sort((a, b) => b.createdAt - a.createdAt);
  }

  async updateRunProgress(
    runId: string,
    stage: string,
    done: number,
    total: number,
  ): Promise<void> {
    await this.write(`the progress of run ${runId}`, [this.db.runs], () =>
      this.touchRun(runId, { stage, done, total }),
    );
  }

  /** Sets the status; `error` is recorded for 'failed' and cleared otherwise. */
  async setRunStatus(
    runId: string,
    status: RunStatus,
    error?: { message: string; stage?: string | null },
  ): Promise<void> {
    await this.updateRunState(runId, error ? { status, error } : { status });
  }

  /** Status (and error), engine and stage progress of a run, in one transaction. */
  async updateRunState(runId: string, patch: RunStatePatch): Promise<void> {
    await this.write(`the state of run ${runId}`, [this.db.runs], async () => {
      const run = await this.requireRunIn(runId);
      const now = Date.now();
      run.updatedAt = now;
      if (patch.status !== undefined) {
        run.status = patch.status;
        run.error =
          patch.status === 'failed' && patch.error
            ? { message: patch.error.message, stage: patch.error.stage ?? null, at: now }
            : null;
      }
      if (patch.engine !== undefined) run.engine = patch.engine;
      if (patch.progress && patch.progress.length > 0) {
        const progress = { ...run.progress };
        for (const { stage, done, total } of patch.progress) {
          progress[stage] = { done, total, updatedAt: now };
        }
        run.progress = progress;
      }
      await this.db.runs.put(run);
    });
  }

  /** Merges results: `lv` replaces, `filters` entries are added or replaced. */
  async updateRunResults(runId: string, patch: Partial<RunResults>): Promise<void> {
    await this.write(`the results of run ${runId}`, [this.db.runs], async () => {
      const run = await this.requireRunIn(runId);
      run.results = {
        lv: patch.lv !== undefined ? patch.lv : run.results.lv,
        filters: { ...run.results.filters, ...(patch.filters ?? {}) },
      };
      run.updatedAt = Date.now();
      await this.db.runs.put(run);
    });
  }

  async renameRun(runId: string, name: string): Promise<void> {
    await this.write(`the name of run ${runId}`, [this.db.runs], async () => {
      const run = await this.requireRunIn(runId);
      run.name = name;
      run.updatedAt = Date.now();
      await this.db.runs.put(run);
    });
  }

  /** Deletes a run with its candidates, validation losses, trainer jobs and artifacts. */
  async deleteRun(runId: string): Promise<void> {
    const { runs, candidates, validationLosses, trainerJobs, artifacts } = this.db;
    await this.write(
      `the deletion of run ${runId}`,
      [runs, candidates, validationLosses, trainerJobs, artifacts],
      async () => {
        await candidates
          .where('[runId+questionId+index]')
          .between([runId, MIN, MIN], [runId, MAX, MAX])
          .delete();
        await validationLosses.where('[runId+row]').between([runId, MIN], [runId, MAX]).delete();
        await trainerJobs.where('runId').equals(runId).delete();
        await artifacts.where('runId').equals(runId).delete();
        await runs.delete(runId);
      },
    );
  }

  // ---------------------------------------------------------------------------- candidates

  /**
   * Stores candidates in one transaction (with the run's progress, if given). A candidate whose
   * (question, index) is already stored is replaced, never duplicated.
   */
  async putCandidates(
    runId: string,
    inputs: readonly CandidateInput[],
    progress?: ProgressUpdate,
  ): Promise<void> {
    const rows = inputs.map((input) => candidateRecord(runId, input));
    const { runs, candidates } = this.db;
    await this.write(
      `${rows.length} candidate(s) of run ${runId}`,
      [runs, candidates],
      async () => {
        await this.touchRun(runId, progress);
        await candidates.bulkPut(rows);
      },
    );
  }

  /** All candidates of a run, ordered by (questionId, index). */
  listCandidates(runId: string): Promise<CandidateRecord[]> {
    return this.candidateRange(runId).toArray();
  }

  /** The candidates of one question, ordered by index. */
  listQuestionCandidates(runId: string, questionId: number): Promise<CandidateRecord[]> {
    return this.db.candidates
      .where('[runId+questionId+index]')
      .between([runId, questionId, MIN], [runId, questionId, MAX])
      .toArray();
  }

  countCandidates(runId: string): Promise<number> {
    return this.candidateRange(runId).count();
  }

  /** Which (question, index) pairs of a run are stored (read from the keys only). */
  async existingCandidateKeys(runId: string): Promise<CandidateKeySet> {
    const keys = (await this.candidateRange(runId).primaryKeys()) as CandidatePrimaryKey[];
    const set = new CandidateKeySet();
    for (const [, questionId, index] of keys) set.add(questionId, index);
    return set;
  }

  /**
   * Updates score columns of existing candidates in one transaction (with progress, if given).
   * Fails, changing nothing, if any patched candidate does not exist.
   */
  async updateCandidateScores(
    runId: string,
    patches: readonly CandidateScorePatch[],
    progress?: ProgressUpdate,
  ): Promise<void> {
    const keys: CandidatePrimaryKey[] = patches.map((p) => {
      checkKey(p.questionId, p.index);
      return [runId, p.questionId, p.index];
    });
    const { runs, candidates } = this.db;
    await this.write(
      `scores of ${patches.length} candidate(s) of run ${runId}`,
      [runs, candidates],
      async () => {
        await this.touchRun(runId, progress);
        const rows = await candidates.bulkGet(keys);
        const updated: CandidateRecord[] = [];
        for (let i = 0; i < patches.length; i++) {
          const row = rows[i];
          const patch = patches[i] as CandidateScorePatch;
          if (!row) {
            throw new DataError(
              'not-found',
              `Run ${runId} has no candidate ${patch.index} of question ${patch.questionId}; no scores were saved.`,
            );
          }
          applyPatch(row, patch);
          updated.push(row);
        }
        await candidates.bulkPut(updated);
      },
    );
  }

  private candidateRange(runId: string) {
    return this.db.candidates
      .where('[runId+questionId+index]')
      .between([runId, MIN, MIN], [runId, MAX, MAX]);
  }

  // --------------------------------------------------------------------- validation losses

  async putValidationLosses(
    runId: string,
    rows: readonly Omit<ValidationLossRecord, 'runId'>[],
    progress?: ProgressUpdate,
  ): Promise<void> {
    const records: ValidationLossRecord[] = rows.map((r) => {
      if (!Number.isInteger(r.row) || r.row < 0) {
        throw new DataError(
          'invalid-record',
          `A validation loss needs a row number, got ${r.row}.`,
        );
      }
      return { runId, row: r.row, loss: r.loss, tokens: r.tokens ?? null };
    });
    const { runs, validationLosses } = this.db;
    await this.write(
      `${records.length} validation loss(es) of run ${runId}`,
      [runs, validationLosses],
      async () => {
        await this.touchRun(runId, progress);
        await validationLosses.bulkPut(records);
      },
    );
  }

  /** Validation losses of a run ordered by the validation item's row. */
  listValidationLosses(runId: string): Promise<ValidationLossRecord[]> {
    return this.db.validationLosses
      .where('[runId+row]')
      .between([runId, MIN], [runId, MAX])
      .toArray();
  }

  // -------------------------------------------------------------------------- trainer jobs

  /** Creates or replaces a trainer job. Refuses anything that looks like a token. */
  async putTrainerJob(
    job: Omit<TrainerJobRecord, 'id' | 'createdAt' | 'updatedAt'> & Partial<TrainerJobRecord>,
  ): Promise<TrainerJobRecord> {
    const now = Date.now();
    const record: TrainerJobRecord = {
      id: job.id ?? newId('job'),
      runId: job.runId,
      endpointId: job.endpointId,
      remoteJobId: job.remoteJobId,
      kind: job.kind,
      status: job.status,
      events: job.events,
      metrics: job.metrics,
      createdAt: job.createdAt ?? now,
      updatedAt: now,
    };
    assertNoSecrets(record, 'a trainer job');
    await this.write(`trainer job ${record.id}`, [this.db.trainerJobs], async () => {
      await this.db.trainerJobs.put(record);
    });
    return record;
  }

  /** Appends events and metric points and optionally sets the status, in one transaction. */
  async updateTrainerJob(
    id: string,
    update: {
      status?: string;
      remoteJobId?: string | null;
      events?: TrainerJobEvent[];
      metrics?: TrainerJobRecord['metrics'];
    },
  ): Promise<TrainerJobRecord> {
    assertNoSecrets(update, 'a trainer job update');
    return this.write(`trainer job ${id}`, [this.db.trainerJobs], async () => {
      const job = await this.db.trainerJobs.get(id);
      if (!job) throw new DataError('not-found', `There is no trainer job "${id}".`);
      if (update.status !== undefined) job.status = update.status;
      if (update.remoteJobId !== undefined) job.remoteJobId = update.remoteJobId;
      if (update.events) job.events = [...job.events, ...update.events];
      for (const [name, points] of Object.entries(update.metrics ?? {})) {
        job.metrics[name] = [...(job.metrics[name] ?? []), ...points];
      }
      job.updatedAt = Date.now();
      await this.db.trainerJobs.put(job);
      return job;
    });
  }

  getTrainerJob(id: string): Promise<TrainerJobRecord | undefined> {
    return this.db.trainerJobs.get(id);
  }

  async listTrainerJobs(runId?: string): Promise<TrainerJobRecord[]> {
    const jobs =
      runId === undefined
        ? await this.db.trainerJobs.toArray()
        : await this.db.trainerJobs.where('runId').equals(runId).toArray();
    return jobs.sort((a, b) => b.createdAt - a.createdAt);
  }

  // ----------------------------------------------------------------------------- artifacts

  async putArtifact(input: {
    runId: string | null;
    kind: string;
    name: string;
    blob: Blob;
    mimeType?: string;
  }): Promise<ArtifactRecord> {
    const record: ArtifactRecord = {
      id: newId('artifact'),
      runId: input.runId,
      kind: input.kind,
      name: input.name,
      mimeType: input.mimeType ?? (input.blob.type || 'application/octet-stream'),
      size: input.blob.size,
      createdAt: Date.now(),
      blob: input.blob,
    };
    await this.write(
      `file "${input.name}" (${formatBytes(record.size)})`,
      [this.db.artifacts],
      async () => {
        await this.db.artifacts.add(record);
      },
    );
    return record;
  }

  getArtifact(id: string): Promise<ArtifactRecord | undefined> {
    return this.db.artifacts.get(id);
  }

  async listArtifacts(runId?: string): Promise<ArtifactRecord[]> {
    const all =
      runId === undefined
        ? await this.db.artifacts.toArray()
        : await this.db.artifacts.where('runId').equals(runId).toArray();
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  async deleteArtifact(id: string): Promise<void> {
    await this.db.artifacts.delete(id);
  }

  // ------------------------------------------------------------------------------ settings

  async getSetting<T>(key: string): Promise<T | undefined> {
    return (await this.db.settings.get(key))?.value as T | undefined;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.write(`setting "${key}"`, [this.db.settings], async () => {
      await this.db.settings.put({ key, value });
    });
  }

  async deleteSetting(key: string): Promise<void> {
    await this.db.settings.delete(key);
  }

  // ----------------------------------------------------------------------------- snapshots

  /** Everything a bundle of this run carries (see bundle.ts). */
  async readRunSnapshot(runId: string): Promise<RunSnapshot> {
    const db = this.db;
    return db.transaction(
      'r',
      [
        db.runs,
        db.datasets,
        db.questions,
        db.validationItems,
        db.candidates,
        db.validationLosses,
        db.trainerJobs,
      ],
      async () => {
        const run = await this.requireRunIn(runId);
        const datasetIds = [run.questionsDatasetId, run.validationDatasetId].filter(
          (id): id is string => id !== null,
        );
        const datasets = (await db.datasets.bulkGet(datasetIds)).filter(
          (d): d is DatasetRecord => d !== undefined,
        );
        const questions: QuestionRecord[] = [];
        const validationItems: ValidationItemRecord[] = [];
        for (const dataset of datasets) {
          if (dataset.kind === 'questions')
            questions.push(...(await this.listQuestions(dataset.id)));
          else validationItems.push(...(await this.listValidationItems(dataset.id)));
        }
        return {
          run,
          datasets,
          questions,
          validationItems,
          candidates: await this.listCandidates(runId),
          validationLosses: await this.listValidationLosses(runId),
          trainerJobs: await this.listTrainerJobs(runId),
        };
      },
    );
  }

  /**
   * Writes a whole run in one transaction. With `ifExists: 'fail'` an existing run with the
   * same id is an error; with 'replace' its rows are deleted first.
   */
  async writeRunSnapshot(snapshot: RunSnapshot, ifExists: IfRunExists = 'fail'): Promise<void> {
    const db = this.db;
    const runId = snapshot.run.id;
    for (const job of snapshot.trainerJobs) assertNoSecrets(job, 'a trainer job');
    await this.write(
      `run "${snapshot.run.name}" (${snapshot.candidates.length} candidates)`,
      [
        db.runs,
        db.datasets,
        db.questions,
        db.validationItems,
        db.candidates,
        db.validationLosses,
        db.trainerJobs,
      ],
      async () => {
        const existing = await db.runs.get(runId);
        if (existing) {
          if (ifExists === 'fail') {
            throw new DataError(
              'conflict',
              `A run with id ${runId} ("${existing.name}") already exists in this browser. Delete it, or import as a copy or as a replacement.`,
            );
          }
          await db.candidates
            .where('[runId+questionId+index]')
            .between([runId, MIN, MIN], [runId, MAX, MAX])
            .delete();
          await db.validationLosses
            .where('[runId+row]')
            .between([runId, MIN], [runId, MAX])
            .delete();
          await db.trainerJobs.where('runId').equals(runId).delete();
        }
        await db.datasets.bulkPut(snapshot.datasets);
        await db.questions.bulkPut(snapshot.questions);
        await db.validationItems.bulkPut(snapshot.validationItems);
        await db.runs.put(snapshot.run);
        await db.candidates.bulkPut(snapshot.candidates);
        await db.validationLosses.bulkPut(snapshot.validationLosses);
        await db.trainerJobs.bulkPut(snapshot.trainerJobs);
      },
    );
  }

  // ---------------------------------------------------------------- the browser's storage

  /** Deletes every row of every table (datasets, runs, jobs, files and settings). */
  async eraseAllLocalData(): Promise<void> {
    const tables = this.db.tables;
    await this.db.transaction('rw', tables, async () => {
      for (const table of tables) await table.clear();
    });
  }

  async storageEstimate(): Promise<StorageEstimate> {
    const storage = globalThis.navigator?.storage;
    const estimate = storage?.estimate ? await storage.estimate() : undefined;
    const persisted = storage?.persisted ? await storage.persisted() : null;
    return { usage: estimate?.usage ?? null, quota: estimate?.quota ?? null, persisted };
  }

  /** Asks the browser not to evict this site's data under storage pressure. */
  async requestPersistence(): Promise<boolean> {
    const storage = globalThis.navigator?.storage;
    return storage?.persist ? storage.persist() : false;
  }
}

/** " (1.9 GB of 2.0 GB in use)", or "" when the browser does not say. */
async function usageDetail(): Promise<string> {
  try {
    const estimate = await globalThis.navigator?.storage?.estimate?.();
    if (estimate?.usage === undefined || estimate.quota === undefined) return '';
    return ` (${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)} in use)`;
  } catch {
    return '';
  }
}

/** Opens (creating or upgrading as needed) the local database. */
export function openStore(name: string = DEFAULT_DATABASE_NAME): Store {
  return new Store(new IwsiDatabase(name));
}
