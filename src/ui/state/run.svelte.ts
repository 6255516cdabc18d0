// The run on screen: its inputs, its candidates as they stream in, its progress (in this tab or
// another), and the snapshot of votes, weights, filters and analyses the analysis worker
// computes from its rows. A stored run is read by the analysis worker itself (IndexedDB works in
// workers), so opening 100,000 candidates never blocks the page; the page fetches the rows it
// shows, a page at a time. Rows are kept in plain (non-reactive) maps with a version counter,
// so that 100,000 candidates never become 100,000 reactive proxies.
import {
  canonicalJson,
  type FileColumnMapping,
  type QuestionsFile,
  type Recipe,
} from '../../core/notebook';
import type { FilterSpec } from '../../core/types';
import type { LoadedDataset } from '../../data/datasets/dataset';
import type { TableFile } from '../../data/datasets/files';
import type { HubProgress } from '../../data/datasets/hub';
import type { ColumnInfo, MappingProposal } from '../../data/datasets/mapping';
import type { PinnedFile } from '../../data/datasets/recipe';
import type { DatasetKind } from '../../data/records';
import type { ModelInfo } from '../../engine/types';
import { BrowserRunController, type RunCatalog, type RunEvent } from '../../pipeline/browserRun';
import { builtinInputs, isBuiltinDataset } from '../../pipeline/builtinInputs';
import { DexieRunCatalog } from '../../pipeline/dexieStore';
import { inputsFromDatasets } from '../../pipeline/runSnapshot';
import {
  candidateKey,
  type CandidateRow,
  type RunInputs,
  type RunProgressEvent,
  type RunRecord,
  type RunStage,
} from '../../pipeline/types';
import { AnalysisClient, Coalescer } from '../analysis/client';
import type { ExportParams, ExportResult } from '../analysis/exportFiles';
import type { ProjectionResult } from '../analysis/protocol';
import type { RunSnapshot } from '../analysis/snapshot';

/** Rows sent to the analysis worker per message when a stored run is opened. */
const ROW_CHUNK = 5000;
/** Most often the snapshot is recomputed while results stream in. */
const STREAM_REFRESH_MS = 400;

/** The part of a recipe a run's candidates and losses depend on. */
export function generationKey(recipe: Recipe): string {
  const { task, dataset, validation, engine, prompt, sampling, extractionMode, lossMode } = recipe;
  return canonicalJson({
    task,
    dataset,
    validation,
    engine,
    prompt,
    sampling,
    extractionMode,
    lossMode,
  });
}

export function isRunActive(run: RunRecord | null): boolean {
  return run !== null && run.status === 'running';
}

/** A local file read in this tab for the column-mapping form (files never travel in links). */
export interface FileChoice {
  kind: DatasetKind;
  table: TableFile;
  /** Each column with its filled count, types and a sample value. */
  columns: ColumnInfo[];
  /** The mapping the data layer proposes from the column names, and why. */
  proposal: MappingProposal;
  /** The task's own dataset columns, and whether this file can be read through them. */
  taskColumns: readonly string[];
  taskReadable: boolean;
}

/** A file given in this tab for the recipe's D_q or D_v: read once, mapped when inputs load. */
export interface SuppliedFile {
  name: string;
  sha256: string;
  table: TableFile;
  rows: number;
}

/** The D_v file given in this tab, with its rows under the mapping it was given with. */
export interface SuppliedValidationFile extends SuppliedFile {
  dataset: LoadedDataset;
}

/** A file the recipe names that this tab does not hold (or holds in another version). */
export interface NeededFile extends PinnedFile {
  kind: DatasetKind;
}

/** Whether a supplied file is the one a recipe names: its pinned hash, or its name when unpinned. */
function isPinnedFile(file: SuppliedFile | null, pinned: PinnedFile): boolean {
  if (file === null) return false;
  return pinned.sha256 === null ? file.name === pinned.name : file.sha256 === pinned.sha256;
}

function supplied(table: TableFile): SuppliedFile {
  return { name: table.name, sha256: table.sha256, table, rows: table.rows.length };
}

/** A file's entry in the recipe: the pinned one kept (same content), else this file pinned. */
function fileEntry(
  table: TableFile,
  pinned: PinnedFile | null,
  mapping: FileColumnMapping,
): PinnedFile & { mapping: FileColumnMapping } {
  if (pinned !== null && pinned.sha256 === table.sha256) return { ...pinned, mapping };
  return { name: table.name.slice(0, 200), sha256: table.sha256, mapping };
}

export class RunState {
  readonly controller: BrowserRunController;
  private readonly analysis = new AnalysisClient();

  inputs = $state.raw<RunInputs | null>(null);
  inputsFor = $state.raw<string | null>(null);
  inputsLoading = $state(false);
  inputsError = $state.raw<string | null>(null);
  hubProgress = $state.raw<HubProgress | null>(null);
  /** The D_q file the user gave in this tab (files never travel in links). */
  questionsFile = $state.raw<SuppliedFile | null>(null);
  /** The D_v file the user gave in this tab. */
  validationFile = $state.raw<SuppliedValidationFile | null>(null);

  run = $state.raw<RunRecord | null>(null);
  /** The inputs of the run on screen (the preview above may be of another recipe). */
  runInputs = $state.raw<RunInputs | null>(null);
  /** Bumped whenever rows or losses change (and when fetched rows arrive). */
  version = $state(0);
  /** Candidates generated in this tab's session, in arrival order (the live stream). */
  rows: CandidateRow[] = [];
  // Plain maps on purpose: reactivity goes through `version`, not 100,000 tracked entries.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly rowIndex = new Map<string, CandidateRow>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private questionNumbers = new Map<string, number>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly wanted = new Set<string>();
  private fetchScheduled = false;

  progress = $state.raw<Partial<Record<RunStage, RunProgressEvent>>>({});
  /** This tab is running the run. */
  working = $state(false);
  error = $state.raw<string | null>(null);
  /** A run another tab of this browser is working on. */
  elsewhere = $state.raw<{
    runId: string;
    run: RunRecord | null;
    progress: RunProgressEvent | null;
  } | null>(null);
  /** A run left 'running' by a closed tab or a reload, waiting to be resumed. */
  interrupted = $state(false);

  snapshot = $state.raw<RunSnapshot | null>(null);
  snapshotError = $state.raw<string | null>(null);
  snapshotMs = $state.raw<number | null>(null);
  projection = $state.raw<ProjectionResult | null>(null);
  projectionError = $state.raw<string | null>(null);
  recentRuns = $state.raw<RunRecord[]>([]);

  private specs: FilterSpec[] = [];
  /** The generation settings of the notebook this tab opened with (to follow other tabs' runs). */
  private followKey: string | null = null;
  private pendingRows: CandidateRow[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly snapshots: Coalescer<{ snapshot: RunSnapshot; ms: number; runId: string }>;

  constructor(
    readonly store: RunCatalog,
    controller: BrowserRunController,
  ) {
    this.controller = controller;
    this.controller.subscribe((event) => this.onEvent(event));
    this.snapshots = new Coalescer(
      ({ snapshot, ms, runId }) => {
        if (this.run?.id !== runId) return;
        this.snapshot = snapshot;
        this.snapshotMs = ms;
        this.snapshotError = null;
      },
      (error) => {
        this.snapshotError = error instanceof Error ? error.message : String(error);
      },
    );
  }

  /** 1-based position of a question in the run's inputs ("Q3"). */
  questionNumber(questionId: string): number {
    return (this.questionNumbers.get(questionId) ?? -1) + 1;
  }

  /** The row of flat candidate i of question q in a snapshot (fetched on first use). */
  rowAt(snapshot: RunSnapshot, q: number, i: number): CandidateRow | undefined {
    const questionId = this.runInputs?.questions[q]?.id;
    if (questionId === undefined) return undefined;
    return this.row(questionId, snapshot.indices[i] ?? -1);
  }

  /** Flat candidate i of a snapshot (question order), fetched on first use. */
  flatRow(snapshot: RunSnapshot, i: number): CandidateRow | undefined {
    // The question holding flat index i: the last offset not above it.
    let lo = 0;
    let hi = snapshot.questionCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((snapshot.offsets[mid] as number) <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.rowAt(snapshot, lo, i);
  }

  /** A candidate by key; when it is not here yet it is fetched and `version` bumps. */
  row(questionId: string, index: number): CandidateRow | undefined {
    const key = candidateKey(questionId, index);
    const row = this.rowIndex.get(key);
    if (row) return row;
    this.wanted.add(key);
    if (!this.fetchScheduled) {
      this.fetchScheduled = true;
      queueMicrotask(() => void this.fetchWanted());
    }
    return undefined;
  }

  private async fetchWanted(): Promise<void> {
    this.fetchScheduled = false;
    const run = this.run;
    const keys = [...this.wanted];
    this.wanted.clear();
    if (!run || keys.length === 0) return;
    try {
      const rows = await this.analysis.call('rowsByKey', { runId: run.id, keys });
      if (this.run?.id !== run.id) return;
      for (const row of rows) {
        const key = candidateKey(row.questionId, row.index);
        if (!this.rowIndex.has(key)) this.rowIndex.set(key, row);
      }
      if (rows.length > 0) this.version++;
    } catch {
      // The worker does not hold this run (yet): the next render asks again.
    }
  }

  /** The inputs of a recipe (generated off the main thread for built-in data). */
  async ensureInputs(recipe: Recipe): Promise<RunInputs> {
    const key = generationKey(recipe);
    if (this.inputs && this.inputsFor === key) return this.inputs;
    this.inputsLoading = true;
    this.inputsError = null;
    try {
      let inputs: RunInputs;
      if (isBuiltinDataset(recipe) && recipe.validation.source === 'dataset') {
        try {
          inputs = await this.analysis.call('builtinInputs', { recipe });
        } catch (error) {
          // Workers unavailable: generate here (slower, but correct).
          if (!(error instanceof Error) || !error.message.includes('worker')) throw error;
          inputs = builtinInputs(recipe);
        }
      } else {
        inputs = await this.loadThroughDataLayer(recipe);
      }
      this.inputs = inputs;
      this.inputsFor = key;
      return inputs;
    } catch (error) {
      this.inputsError = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      this.inputsLoading = false;
    }
  }

  /** D_q and D_v through the data layer: the Hugging Face Hub, and the files given in this tab. */
  private async loadThroughDataLayer(recipe: Recipe): Promise<RunInputs> {
    const { loadRecipeDatasets } = await import('../../data/datasets/recipe');
    this.hubProgress = null;
    const loaded = await loadRecipeDatasets(recipe, {
      onProgress: (progress) => (this.hubProgress = progress),
      questionsFile: this.questionsFile?.table ?? null,
      validationFile: this.validationFile?.table ?? null,
    });
    this.hubProgress = null;
    if (loaded.validationFile) {
      throw new Error(
        `D_v comes from the file "${loaded.validationFile.name}": choose it in the Dataset cell.`,
      );
    }
    // Ids by the data layer's one rule, as the CLI and the run catalog name the same rows.
    return inputsFromDatasets({ questions: loaded.questions, validation: loaded.validation });
  }

  /** The files the recipe names that this tab has not been given (Generate waits for them). */
  neededFiles(recipe: Recipe): NeededFile[] {
    const needed: NeededFile[] = [];
    const questions = recipe.dataset.file;
    if (questions && !isPinnedFile(this.questionsFile, questions)) {
      needed.push({ kind: 'questions', name: questions.name, sha256: questions.sha256 });
    }
    const validation = recipe.validation;
    if (validation.source === 'file' && !isPinnedFile(this.validationFile, validation)) {
      needed.push({ kind: 'validation', name: validation.name, sha256: validation.sha256 });
    }
    return needed;
  }

  /**
   * Read a D_q or D_v file (JSONL, CSV or Parquet) for the column-mapping form, in a worker so
   * that a large file does not freeze the page. Throws the loader's message (every bad line
   * numbered), or says that the reader stopped, and changes nothing.
   */
  async readFileChoice(file: File, kind: DatasetKind, recipe: Recipe): Promise<FileChoice> {
    const [{ readTableFileOffPage }, { proposeMapping, TASK_COLUMNS }] = await Promise.all([
      import('../tableFileClient'),
      import('../../data/datasets/mapping'),
    ]);
    const { table, columns } = await readTableFileOffPage(file);
    const taskColumns = TASK_COLUMNS[recipe.task];
    const taskFits = proposeMapping(taskColumns, { kind, task: recipe.task }).mapping;
    return {
      kind,
      table,
      columns,
      proposal: proposeMapping(table.columns, { kind, task: recipe.task }),
      taskColumns,
      taskReadable:
        taskFits?.kind === 'task' && taskColumns.every((c) => table.columns.includes(c)),
    };
  }

  /**
   * Use a read file as D_q with a column mapping. The file must be the one the recipe pins unless
   * `repin` (it then replaces it); its rows are built with the recipe's slice first, so any
   * problem throws and nothing changes. Returns the recipe's new `dataset.file`.
   */
  async useQuestionsFile(
    choice: FileChoice,
    mapping: FileColumnMapping,
    recipe: Recipe,
    repin: boolean,
  ): Promise<QuestionsFile> {
    const { checkPinnedFile, questionsFromFile } = await import('../../data/datasets/recipe');
    const pinned = recipe.dataset.file ?? null;
    if (pinned !== null && !repin) checkPinnedFile('questions', pinned, choice.table);
    const file = fileEntry(choice.table, pinned, mapping);
    questionsFromFile({ ...recipe, dataset: { ...recipe.dataset, file } }, choice.table);
    this.questionsFile = supplied(choice.table);
    this.inputsFor = null;
    return file;
  }

  /** Use a read file as D_v with a column mapping (as useQuestionsFile; all its rows). */
  async useValidationFile(
    choice: FileChoice,
    mapping: FileColumnMapping,
    recipe: Recipe,
    repin: boolean,
  ): Promise<Recipe['validation']> {
    const { checkPinnedFile, validationFromFile } = await import('../../data/datasets/recipe');
    const pinned = recipe.validation.source === 'file' ? recipe.validation : null;
    if (pinned !== null && !repin) checkPinnedFile('validation', pinned, choice.table);
    const validation = {
      source: 'file' as const,
      ...fileEntry(choice.table, pinned && { name: pinned.name, sha256: pinned.sha256 }, mapping),
    };
    const dataset = validationFromFile({ ...recipe, validation }, choice.table);
    this.validationFile = { ...supplied(choice.table), dataset };
    this.inputsFor = null;
    return validation;
  }

  /** Create a run of the recipe and run it with the loaded model. */
  async startNew(recipe: Recipe, model: ModelInfo): Promise<void> {
    this.error = null;
    let inputs: RunInputs;
    try {
      inputs = await this.ensureInputs(recipe);
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      return;
    }
    if (inputs.questions.length === 0) {
      this.error = 'The dataset slice holds no question: widen it in the Dataset cell.';
      return;
    }
    const run = await this.controller.createRun(recipe, inputs);
    this.attach(run, inputs);
    await this.analysis.call('reset', {
      runId: run.id,
      recipe: run.recipe,
      inputs,
      validationLosses: [],
    });
    await this.continueRun(model);
  }

  /** Run (or resume) the run on screen. */
  async continueRun(model: ModelInfo): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.working = true;
    this.interrupted = false;
    this.error = null;
    try {
      const final = await this.controller.start(run.id, model);
      this.run = final;
      if (final.status === 'failed') this.error = final.error;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      const stored = await this.store.getRun(run.id);
      if (stored) this.run = stored;
    } finally {
      this.working = false;
      this.flushRows();
      this.refreshSoon(0);
      void this.refreshRecent();
    }
  }

  pause(): void {
    this.controller.pause();
  }

  cancel(): void {
    this.controller.cancel();
  }

  /**
   * Show a stored run. With IndexedDB the analysis worker reads it itself; otherwise its rows go
   * to the worker in chunks.
   */
  async open(run: RunRecord): Promise<void> {
    if (this.store instanceof DexieRunCatalog) {
      const { inputs } = await this.analysis.call('load', {
        runId: run.id,
        database: this.store.store.db.name,
      });
      this.attach(run, inputs);
      this.refreshSoon(0);
    } else {
      const [inputs, rows, losses] = await Promise.all([
        this.store.getInputs(run.id),
        this.store.listCandidates(run.id),
        this.store.getValidationLosses(run.id),
      ]);
      this.attach(run, inputs);
      await this.analysis.call('reset', {
        runId: run.id,
        recipe: run.recipe,
        inputs,
        validationLosses: losses,
      });
      for (let start = 0; start < rows.length; start += ROW_CHUNK) {
        const chunk = rows.slice(start, start + ROW_CHUNK);
        await this.analysis.call('rows', { runId: run.id, rows: chunk });
      }
      this.refreshSoon(0);
    }
    const someoneWorks = await this.controller.lockHeld();
    this.interrupted = run.status === 'running' && !someoneWorks;
    if (run.status === 'running' && someoneWorks) {
      this.elsewhere = { runId: run.id, run, progress: null };
    }
  }

  /** On page load: the newest run of this recipe, if any, and the runs of this browser. */
  async restore(recipe: Recipe): Promise<void> {
    await this.refreshRecent();
    const key = generationKey(recipe);
    this.followKey = key;
    const match = this.recentRuns.find((run) => generationKey(run.recipe) === key);
    if (match) await this.open(match);
    this.controller.askWhoRuns();
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recentRuns = await this.store.listRuns();
    } catch {
      this.recentRuns = [];
    }
  }

  async deleteRun(runId: string): Promise<void> {
    await this.store.deleteRun(runId);
    if (this.run?.id === runId) {
      this.run = null;
      this.runInputs = null;
      this.rows = [];
      this.rowIndex.clear();
      this.wanted.clear();
      this.snapshot = null;
      this.projection = null;
      this.version++;
    }
    await this.refreshRecent();
  }

  /** The filters the snapshot shows changed (k dragged, a baseline added). */
  setSpecs(specs: FilterSpec[]): void {
    const same = JSON.stringify(specs) === JSON.stringify(this.specs);
    this.specs = specs;
    if (!same) this.refreshSoon(60);
  }

  async computeProjection(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.projectionError = null;
    try {
      this.flushRows();
      this.projection = await this.analysis.call('project', { runId: run.id });
    } catch (error) {
      this.projectionError = error instanceof Error ? error.message : String(error);
    }
  }

  /** The run on screen as a run bundle (one zip: manifest, tables, official layout). */
  async exportBundle(): Promise<{ bytes: Uint8Array; fileName: string }> {
    const run = this.run;
    if (!run) throw new Error('There is no run to export yet.');
    if (!(this.store instanceof DexieRunCatalog)) {
      throw new Error(
        'Run bundles need this browser’s IndexedDB storage, which is not available here.',
      );
    }
    const { exportRunBundle } = await import('../../data/runBundle');
    return exportRunBundle(this.store.store, run.id);
  }

  /** Import a run bundle (made here, elsewhere or by the iwsi command) and show it. */
  async importBundle(file: File): Promise<void> {
    if (!(this.store instanceof DexieRunCatalog)) {
      throw new Error(
        'Run bundles need this browser’s IndexedDB storage, which is not available here.',
      );
    }
    const { importRunBundle } = await import('../../data/runBundle');
    const record = await importRunBundle(
      this.store.store,
      new Uint8Array(await file.arrayBuffer()),
      'copy',
    );
    await this.refreshRecent();
    const run = await this.store.getRun(record.id);
    if (run) await this.open(run);
  }

  /** Export files of the run on screen, built in the analysis worker. */
  async exportFiles(params: ExportParams): Promise<ExportResult> {
    const run = this.run;
    if (!run) throw new Error('There is no run to export yet.');
    this.flushRows();
    return this.analysis.call('exportFiles', { runId: run.id, ...params });
  }

  async exportOfficial(recipe: Recipe): Promise<{ name: string; text: string }[]> {
    const run = this.run;
    if (!run) throw new Error('There is no run to export yet.');
    this.flushRows();
    return this.analysis.call('exportOfficial', { runId: run.id, recipe });
  }

  /** Make a run the one on screen (its rows are fetched as they are shown). */
  private attach(run: RunRecord, inputs: RunInputs): void {
    this.run = run;
    this.runInputs = inputs;
    this.inputs = inputs;
    this.inputsFor = generationKey(run.recipe);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    this.questionNumbers = new Map(inputs.questions.map((q, i) => [q.id, i]));
    this.rows = [];
    this.rowIndex.clear();
    this.wanted.clear();
    this.pendingRows = [];
    this.snapshot = null;
    this.projection = null;
    this.progress = {};
    this.version++;
  }

  /** Candidates stored in this session: shown live and forwarded to the analysis worker. */
  private addRows(rows: readonly CandidateRow[]): void {
    for (const row of rows) {
      const key = candidateKey(row.questionId, row.index);
      const existing = this.rowIndex.get(key);
      if (existing) Object.assign(existing, row);
      else this.rowIndex.set(key, row);
      this.rows.push(existing ?? row);
      this.pendingRows.push(row);
    }
  }

  private flushRows(): void {
    const run = this.run;
    if (!run || this.pendingRows.length === 0) return;
    const rows = this.pendingRows;
    this.pendingRows = [];
    void this.analysis.call('rows', { runId: run.id, rows });
  }

  private refreshSoon(delayMs: number = STREAM_REFRESH_MS): void {
    if (this.refreshTimer !== null) {
      if (delayMs > 0) return; // one is already scheduled
      clearTimeout(this.refreshTimer);
    }
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refreshNow();
    }, delayMs);
  }

  private refreshNow(): void {
    const run = this.run;
    if (!run) return;
    this.flushRows();
    const specs = this.specs.length > 0 ? this.specs : run.recipe.filters;
    const runId = run.id;
    this.snapshots.request(async () => {
      const started = performance.now();
      const snapshot = await this.analysis.call('snapshot', { runId, specs });
      return { snapshot, ms: performance.now() - started, runId };
    });
  }

  private onEvent(event: RunEvent): void {
    const current = this.run;
    switch (event.type) {
      case 'candidates':
        if (event.runId !== current?.id) return;
        this.addRows(event.rows);
        this.version++;
        this.refreshSoon();
        return;
      case 'losses': {
        if (event.runId !== current?.id) return;
        for (const { questionId, index, loss } of event.losses) {
          const row = this.rowIndex.get(candidateKey(questionId, index));
          if (row) row.loss = loss;
        }
        this.flushRows();
        void this.analysis.call('losses', { runId: event.runId, losses: event.losses });
        this.version++;
        this.refreshSoon();
        return;
      }
      case 'self-scores': {
        if (event.runId !== current?.id) return;
        for (const { questionId, index, selfScore } of event.scores) {
          const row = this.rowIndex.get(candidateKey(questionId, index));
          if (row) row.selfScore = selfScore;
        }
        this.flushRows();
        void this.analysis.call('selfScores', { runId: event.runId, scores: event.scores });
        this.version++;
        this.refreshSoon();
        return;
      }
      case 'validation-losses':
        if (event.runId !== current?.id) return;
        void this.analysis.call('validationLosses', {
          runId: event.runId,
          losses: event.losses,
        });
        this.version++;
        this.refreshSoon();
        return;
      case 'progress': {
        const progress = event.event;
        if (event.local) {
          if (progress.runId === current?.id) {
            this.progress = { ...this.progress, [progress.stage]: progress };
          }
          return;
        }
        // Another tab's run: follow it, and stream its candidates when it is the one on screen.
        if (progress.runId === current?.id && progress.candidate) {
          this.addRows([progress.candidate]);
          this.version++;
          this.refreshSoon();
        }
        if (progress.runId === current?.id) {
          this.progress = { ...this.progress, [progress.stage]: progress };
        }
        const known = this.elsewhere;
        if (known && known.runId === progress.runId) {
          this.elsewhere = { ...known, progress };
        } else {
          this.elsewhere = { runId: progress.runId, run: null, progress };
          void this.store.getRun(progress.runId).then((run) => {
            if (run && this.elsewhere?.runId === run.id)
              this.elsewhere = { ...this.elsewhere, run };
          });
        }
        return;
      }
      case 'status':
        if (event.local) {
          if (event.run.id === current?.id) this.run = event.run;
          return;
        }
        {
          // Another tab's run of this notebook is followed here when nothing else is shown.
          const follow =
            current?.id === event.run.id ||
            (current === null &&
              !this.working &&
              this.followKey !== null &&
              generationKey(event.run.recipe) === this.followKey);
          if (event.run.status === 'running') {
            const progress =
              this.elsewhere?.runId === event.run.id ? this.elsewhere.progress : null;
            this.elsewhere = { runId: event.run.id, run: event.run, progress };
            if (follow && current === null) void this.open(event.run);
          } else {
            if (this.elsewhere?.runId === event.run.id) this.elsewhere = null;
            if (follow) void this.open(event.run);
            void this.refreshRecent();
          }
        }
        return;
    }
  }
}
