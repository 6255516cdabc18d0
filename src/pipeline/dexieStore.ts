// The runner's PipelineStore (and the browser's RunCatalog) over the data layer's IndexedDB
// store. The data layer keys questions by their row in the source split; the pipeline by a
// string id (toy-arith: "toy-arith-train-12"). A run created here keeps each row's id in its
// `raw.id`; ids are read back with the same rule as everywhere else (data/rowIds, through
// runSnapshot's RowIds), so a run imported from a CLI bundle keeps the CLI's ids. Runs and
// candidates convert as in bundles (runSnapshot); the one thing the data layer's run record has
// no field for, the stage the runner is at, is kept in a setting next to the run.
import type { Recipe } from '../core/notebook';
import {
  questionDataset,
  validationDataset,
  type DatasetDescription,
} from '../data/datasets/dataset';
import type {
  DatasetSource,
  QuestionRecord,
  RunRecord as StoredRun,
  ValidationItemRecord,
} from '../data/records';
import type { Store } from '../data/store';
import type { RunCatalog } from './browserRun';
import {
  fromCandidateRecord,
  fromStoredRun,
  inputsFromRecords,
  RowIds,
  storedStatus,
} from './runSnapshot';
import {
  candidateKey,
  RUN_STAGES,
  type CandidateLoss,
  type CandidateRow,
  type CandidateSelfScore,
  type RunInputs,
  type RunRecord,
  type ValidationLoss,
} from './types';

/**
 * What the runner keeps that the data layer's run record has no field for. (Before schema
 * version 2 it also held the model and a cancel; the upgrade moved them into the run.)
 */
interface RunExtras {
  stage: RunRecord['stage'];
}

const extrasKey = (runId: string): string => `pipeline-run:${runId}`;

function datasetSource(recipe: Recipe, split: string): DatasetSource {
  if (recipe.task === 'toy-arith' && recipe.dataset.id === 'toy-arith') {
    return { kind: 'builtin', generator: 'toy-arith', version: recipe.dataset.revision, split };
  }
  return {
    kind: 'hub',
    repo: recipe.dataset.id,
    config: recipe.dataset.config,
    split,
    revision: recipe.dataset.revision,
    commit: null,
    via: 'parquet',
  };
}

export class DexieRunCatalog implements RunCatalog {
  private readonly maps = new Map<string, Promise<RowIds>>();

  constructor(readonly store: Store) {}

  async createRun(run: RunRecord, inputs: RunInputs): Promise<void> {
    const { recipe } = run;
    const questionStart = recipe.dataset.slice.start;
    const validationStart =
      recipe.validation.source === 'dataset' ? recipe.validation.slice.start : 0;
    const describe = (split: string, slice: Recipe['dataset']['slice']) =>
      ({
        task: recipe.task,
        name: `${recipe.dataset.id} ${split}[${slice.start}:${slice.end ?? ''}]`,
        source: datasetSource(recipe, split),
        slice,
      }) satisfies Omit<DatasetDescription, 'kind'>;
    const questions = questionDataset(
      describe(recipe.dataset.split, recipe.dataset.slice),
      inputs.questions.map((q, i) => ({
        row: questionStart + i,
        question: q.question,
        gold: q.gold,
        raw: { id: q.id },
      })),
    );
    const validationSlice =
      recipe.validation.source === 'dataset'
        ? recipe.validation.slice
        : { start: 0, end: inputs.validation.length };
    const validation = validationDataset(
      describe(
        recipe.validation.source === 'dataset' ? recipe.validation.split : 'validation',
        validationSlice,
      ),
      inputs.validation.map((item, i) => ({
        row: validationStart + i,
        question: item.question,
        reference: item.rationale,
        answer: null,
        raw: { id: item.id },
      })),
    );
    const stored: StoredRun = {
      id: run.id,
      name: `${recipe.task} ${new Date(run.createdAt).toISOString().slice(0, 16)}`,
      recipe,
      recipeHash: run.recipeHash,
      questionsDatasetId: questions.dataset.id,
      validationDatasetId: validation.dataset.id,
      status: storedStatus(run.status),
      progress: {},
      results: { lv: null, filters: {} },
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      error: null,
      engine: run.model,
    };
    await this.store.writeRunSnapshot({
      run: stored,
      datasets: [questions.dataset, validation.dataset],
      questions: questions.questions,
      validationItems: validation.validationItems,
      candidates: [],
      validationLosses: [],
      trainerJobs: [],
    });
    await this.saveExtras(run);
  }

  async listRuns(): Promise<RunRecord[]> {
    const runs = await this.store.listRuns();
    return Promise.all(runs.map((run) => this.toPipelineRun(run)));
  }

  async deleteRun(runId: string): Promise<void> {
    await this.store.deleteRun(runId);
    await this.store.deleteSetting(extrasKey(runId));
    this.maps.delete(runId);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const run = await this.store.getRun(runId);
    return run && this.toPipelineRun(run);
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.store.updateRunState(run.id, {
      status: storedStatus(run.status),
      ...(run.error
        ? { error: { message: run.error, stage: run.stage === 'done' ? null : run.stage } }
        : {}),
      engine: run.model,
      progress: RUN_STAGES.map((stage) => ({ stage, ...run.progress[stage] })),
    });
    await this.saveExtras(run);
  }

  async getInputs(runId: string): Promise<RunInputs> {
    const { questions, items } = await this.storedRows(runId);
    return inputsFromRecords(questions, items);
  }

  async candidateKeys(runId: string): Promise<Set<string>> {
    const map = await this.rowMap(runId);
    const keys = await this.store.existingCandidateKeys(runId);
    const out = new Set<string>();
    for (const row of keys.questions()) {
      const id = map.idOfQuestion(row);
      for (const index of keys.indicesOf(row)) out.add(candidateKey(id, index));
    }
    return out;
  }

  async putCandidates(rows: CandidateRow[]): Promise<void> {
    const runId = rows[0]?.runId;
    if (runId === undefined) return;
    const map = await this.rowMap(runId);
    await this.store.putCandidates(
      runId,
      rows.map((row) => ({
        questionId: map.rowOfQuestion(row.questionId),
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
      })),
    );
  }

  async listCandidates(runId: string): Promise<CandidateRow[]> {
    const map = await this.rowMap(runId);
    const records = await this.store.listCandidates(runId);
    return records.map((record) => fromCandidateRecord(record, map));
  }

  async setCandidateLosses(runId: string, losses: CandidateLoss[]): Promise<void> {
    const map = await this.rowMap(runId);
    await this.store.updateCandidateScores(
      runId,
      losses.map(({ questionId, index, loss }) => ({
        questionId: map.rowOfQuestion(questionId),
        index,
        loss,
      })),
    );
  }

  async setCandidateSelfScores(runId: string, scores: CandidateSelfScore[]): Promise<void> {
    const map = await this.rowMap(runId);
    await this.store.updateCandidateScores(
      runId,
      scores.map(({ questionId, index, selfScore }) => ({
        questionId: map.rowOfQuestion(questionId),
        index,
        selfScore,
      })),
    );
  }

  async getValidationLosses(runId: string): Promise<ValidationLoss[]> {
    const map = await this.rowMap(runId);
    const rows = await this.store.listValidationLosses(runId);
    return rows.map((r) => ({
      itemId: map.idOfItem(r.row),
      loss: r.loss,
    }));
  }

  async putValidationLosses(runId: string, losses: ValidationLoss[]): Promise<void> {
    const map = await this.rowMap(runId);
    await this.store.putValidationLosses(
      runId,
      losses.map(({ itemId, loss }) => ({ row: map.rowOfItem(itemId), loss, tokens: null })),
    );
  }

  private async requireRun(runId: string): Promise<StoredRun> {
    const run = await this.store.getRun(runId);
    if (!run) throw new Error(`There is no run "${runId}" in this browser's storage.`);
    return run;
  }

  private rowMap(runId: string): Promise<RowIds> {
    let map = this.maps.get(runId);
    if (!map) {
      map = this.buildRowMap(runId);
      this.maps.set(runId, map);
      map.catch(() => this.maps.delete(runId));
    }
    return map;
  }

  /** The run's questions and D_v items as stored, in row order. */
  private async storedRows(
    runId: string,
  ): Promise<{ questions: QuestionRecord[]; items: ValidationItemRecord[] }> {
    const run = await this.requireRun(runId);
    return {
      questions: run.questionsDatasetId
        ? await this.store.listQuestions(run.questionsDatasetId)
        : [],
      items: run.validationDatasetId
        ? await this.store.listValidationItems(run.validationDatasetId)
        : [],
    };
  }

  private async buildRowMap(runId: string): Promise<RowIds> {
    const { questions, items } = await this.storedRows(runId);
    return new RowIds(questions, items);
  }

  private async saveExtras(run: RunRecord): Promise<void> {
    const extras: RunExtras = { stage: run.stage };
    await this.store.setSetting(extrasKey(run.id), extras);
  }

  private async toPipelineRun(run: StoredRun): Promise<RunRecord> {
    const extras = await this.store.getSetting<RunExtras>(extrasKey(run.id));
    const record = fromStoredRun(run);
    // A run imported from a bundle has no note: its stage follows from its progress.
    return extras ? { ...record, stage: extras.stage } : record;
  }
}
