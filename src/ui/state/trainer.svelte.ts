// The Train and Evaluate cells' link to a trainer endpoint (the reference trainer in trainer/,
// or any server speaking its protocol): connect, upload the kept set (or a file the user
// chose, checked here first), start LoRA fine-tuning from the notebook's trainer settings,
// follow its progress and loss through trainer restarts and page reloads, cancel it, and
// evaluate the base and the fine-tuned model there.
//
// The endpoint is the reference trainer or a hosted provider through its adapter (Together AI:
// src/trainer/providers), which trains and reports progress the same way but cannot evaluate.
//
// The address and token (or the provider's API key) live in this tab's session storage: they
// survive a reload of the tab (so a running job is re-attached) and never reach a link, a
// bundle or IndexedDB. Each job is recorded with the run in IndexedDB (status, events, losses:
// never a token). Every sentence shown comes from src/trainer/messages.ts. The trainer client is
// loaded on first use.
import type { Recipe } from '../../core/notebook';
import { getTask } from '../../core/tasks/registry';
import { toyArithSplit } from '../../core/tasks/toyArithData';
import type { MetricPoint, TrainerJobEvent, TrainerJobRecord } from '../../data/records';
import type { Store } from '../../data/store';
import { DexieRunCatalog } from '../../pipeline/dexieStore';
import type {
  EndpointCheck,
  EndpointKind,
  EvaluationItem,
  EvaluationScore,
  FineTuningJob,
  JobEvent,
  TrainerClient,
  TrainerErrorKind,
  TrainerPhase,
  TrainingEndpoint,
  TrainingFileSummary,
  TrainingProgress,
} from '../../trainer';
// The endpoint kinds alone (a few constants), so the trainer client still loads on first use.
import { DEFAULT_BASE_URLS } from '../../trainer/providers/endpoint';
import { runState } from './app.svelte';

type TrainerModule = typeof import('../../trainer');

let trainerModule: Promise<TrainerModule> | null = null;
function loadTrainer(): Promise<TrainerModule> {
  trainerModule ??= import('../../trainer');
  return trainerModule;
}

/** Where this tab keeps the endpoint it last connected to (session storage: this tab only). */
const SESSION_KEY = 'iwsi-trainer-endpoint';
/** Poll interval while a job is followed. */
const POLL_MS = 1000;
/** How long a followed trainer may stay silent before the page stops polling it. */
const OUTAGE_TOLERANCE_MS = 10 * 60_000;
const FINISHED: readonly string[] = ['succeeded', 'failed', 'cancelled'];
/** The kind of job records the Train cell writes. */
const JOB_KIND = 'sft';

interface SavedEndpoint {
  kind: EndpointKind;
  baseUrl: string;
  token: string;
  model: string;
}

function readSession(): SavedEndpoint | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(SESSION_KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<SavedEndpoint>;
    if (typeof value.baseUrl !== 'string' || typeof value.token !== 'string') return null;
    return {
      kind: value.kind === 'together' ? 'together' : 'reference',
      baseUrl: value.baseUrl,
      token: value.token,
      model: String(value.model ?? ''),
    };
  } catch {
    return null;
  }
}

function writeSession(value: SavedEndpoint): void {
  try {
    globalThis.sessionStorage?.setItem(SESSION_KEY, JSON.stringify(value));
  } catch {
    // Storage refused (private mode, quota): a reload then asks to connect again.
  }
}

/** The store the runs live in, or null where runs live in memory (no IndexedDB). */
function jobStore(): Store | null {
  return runState.store instanceof DexieRunCatalog ? runState.store.store : null;
}

/** The stored loss points in step order; a step repeated after a resume keeps its last value. */
function storedCurve(record: TrainerJobRecord): { step: number; loss: number }[] {
  const byStep: Record<number, number> = {};
  for (const point of record.metrics['train_loss'] ?? []) byStep[point.step] = point.value;
  return Object.entries(byStep)
    .map(([step, loss]) => ({ step: Number(step), loss }))
    .sort((a, b) => a.step - b.step);
}

export interface EvaluationRow {
  label: string;
  model: string;
  score: EvaluationScore;
}

/** A training file the user chose instead of the run's kept set, already checked. */
export interface ChosenTrainingFile {
  name: string;
  text: string;
  summary: TrainingFileSummary;
  /** "12 prompt/completion rows, weighted". */
  description: string;
}

class TrainerState {
  /** The kind of endpoint the address points at (the select in the Train cell). */
  kind = $state<EndpointKind>('reference');
  baseUrl = $state(DEFAULT_BASE_URLS.reference);
  token = $state('');
  connecting = $state(false);
  connection = $state.raw<EndpointCheck | null>(null);
  /** What went wrong in the Train cell (connect, upload, job, cancel), or null. */
  trainError = $state.raw<string | null>(null);
  /** The TrainerError kind of `trainError` ("other" for anything else). */
  errorKind = $state.raw<TrainerErrorKind | 'other' | null>(null);
  /** What went wrong in the last evaluation on the trainer, or null. */
  evaluationError = $state.raw<string | null>(null);
  /** An outcome that is not a failure: a cancelled job, a re-attached one. */
  notice = $state.raw<string | null>(null);
  /** The trainer stopped answering while a job was followed (cleared when it answers again). */
  outage = $state.raw<{ since: number; message: string } | null>(null);
  /** The trainer model to fine-tune (one the trainer serves). */
  model = $state('');
  job = $state.raw<FineTuningJob | null>(null);
  /** The stored record of the job on screen (this run's latest). */
  record = $state.raw<TrainerJobRecord | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<{ step: number; loss: number }[]>([]);
  /** The newest message the trainer logged for the job (not the per-step metrics). */
  lastEvent = $state.raw<string | null>(null);
  /** Uploading, creating or following a job. */
  busy = $state(false);
  cancelling = $state(false);
  trainingFile = $state.raw<ChosenTrainingFile | null>(null);
  fileError = $state.raw<string | null>(null);
  evaluations = $state.raw<EvaluationRow[]>([]);
  evaluating = $state<string | null>(null);
  /** What the job's endpoint could not take from the notebook's settings (a provider's notes). */
  jobNotes = $state.raw<string[]>([]);
  /** The kind of the endpoint connected to, or null. */
  connectedKind = $state.raw<EndpointKind | null>(null);
  private client: TrainingEndpoint | null = null;
  /** The same client where the endpoint is a reference trainer (the one that evaluates). */
  private evaluator: TrainerClient | null = null;
  private abort: AbortController | null = null;
  private shownRunId: string | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor() {
    const saved = readSession();
    if (saved) {
      this.kind = saved.kind;
      this.baseUrl = saved.baseUrl;
      this.token = saved.token;
      this.model = saved.model;
    }
  }

  /** Switch the endpoint kind; an address left at the other kind's default follows it. */
  setKind(kind: EndpointKind): void {
    if (kind === this.kind) return;
    if (this.baseUrl.trim() === '' || this.baseUrl === DEFAULT_BASE_URLS[this.kind]) {
      this.baseUrl = DEFAULT_BASE_URLS[kind];
    }
    this.kind = kind;
    this.connection = null;
    this.connectedKind = null;
    this.client = null;
    this.evaluator = null;
  }

  /** Evaluation needs a reference trainer: a hosted provider's adapter cannot evaluate. */
  get canEvaluate(): boolean {
    return this.connectedKind === 'reference';
  }

  /** The last error of either cell (kept for callers that read one error after evaluate()). */
  get error(): string | null {
    return this.evaluationError ?? this.trainError;
  }

  /** The record's job can be followed again: unfinished, and nothing follows it now. */
  get canReattach(): boolean {
    const record = this.record;
    return (
      !this.busy &&
      record !== null &&
      record.remoteJobId !== null &&
      !FINISHED.includes(this.job?.status ?? record.status)
    );
  }

  private fail(
    error: unknown,
    phase: TrainerPhase,
    context: { fileName?: string; jobId?: string } = {},
    trainer?: TrainerModule,
  ): void {
    if (!trainer) {
      this.trainError = error instanceof Error ? error.message : String(error);
      this.errorKind = 'other';
      return;
    }
    const explained = trainer.explainFailure(error, phase, context);
    this.trainError = explained.message;
    this.errorKind = explained.kind;
  }

  private clearMessages(): void {
    this.trainError = null;
    this.errorKind = null;
    this.notice = null;
    this.outage = null;
  }

  /** Checks the endpoint and, when it answers, re-attaches to this run's unfinished job. */
  async connect(): Promise<boolean> {
    this.connecting = true;
    this.trainError = null;
    this.errorKind = null;
    this.connection = null;
    this.connectedKind = null;
    this.client = null;
    this.evaluator = null;
    let trainer: TrainerModule | undefined;
    const kind = this.kind;
    try {
      trainer = await loadTrainer();
      const reference =
        kind === 'reference'
          ? new trainer.TrainerClient({ baseUrl: this.baseUrl, token: this.token })
          : null;
      const client: TrainingEndpoint =
        reference ?? new trainer.TogetherClient({ baseUrl: this.baseUrl, apiKey: this.token });
      const check = await client.checkEndpoint();
      this.client = client;
      this.evaluator = reference;
      this.connectedKind = kind;
      this.connection = check;
      const models = check.version.capabilities.models.map((m) => m.id);
      const engineModel = runState.run?.model?.modelId ?? '';
      if (kind === 'together') {
        // Together's name for the notebook's engine model where known; any name may be typed.
        if (this.model === '' || !this.model.includes('/')) {
          this.model = trainer.togetherModelFor(engineModel) ?? models[0] ?? '';
        }
      } else if (models.includes(engineModel)) {
        // Fine-tune the model the run was generated with, where the trainer serves it.
        this.model = engineModel;
      } else if (!models.includes(this.model)) {
        this.model = models[0] ?? '';
      }
      writeSession({ kind, baseUrl: this.baseUrl, token: this.token, model: this.model });
    } catch (error) {
      this.fail(error, 'connect', {}, trainer);
      return false;
    } finally {
      this.connecting = false;
    }
    void this.resumeStored();
    return true;
  }

  /** Checks a training file the user chose; refused files are never uploaded. */
  async chooseFile(file: File): Promise<void> {
    this.trainingFile = null;
    this.fileError = null;
    const trainer = await loadTrainer();
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      const summary = trainer.checkTrainingFile(bytes, 'supervised');
      const weighted = summary.weighted ? ', weighted' : '';
      this.trainingFile = {
        name: file.name,
        text: new TextDecoder().decode(bytes),
        summary,
        description: `${summary.rows} ${trainer.TRAINING_FORMAT_NAMES[summary.format]}${weighted}`,
      };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.fileError = trainer.trainerMessages.fileInvalid(file.name, detail);
    }
  }

  /** Back to training on the run's kept set. */
  clearFile(): void {
    this.trainingFile = null;
    this.fileError = null;
  }

  /**
   * Upload the kept set of the run on screen (or the chosen file) and fine-tune on it,
   * following the job until it ends.
   */
  async train(recipe: Recipe): Promise<void> {
    const client = this.client;
    const run = runState.run;
    const chosen = this.trainingFile;
    if (!client || this.busy || (!chosen && !run)) return;
    this.busy = true;
    this.clearMessages();
    this.losses = [];
    this.progress = null;
    this.job = null;
    this.record = null;
    this.lastEvent = null;
    this.jobNotes = [];
    this.shownRunId = run?.id ?? null;
    const abort = new AbortController();
    this.abort = abort;
    let phase: TrainerPhase = 'upload';
    let fileName = chosen?.name ?? 'the kept set';
    let trainer: TrainerModule | undefined;
    try {
      trainer = await loadTrainer();
      let content: string;
      if (chosen) {
        content = chosen.text;
      } else {
        const exported = await runState.exportFiles({
          recipe,
          formats: ['trl-prompt-completion'],
          includeWeight: true,
          eosToken: run?.model?.eosToken ?? '',
          createdAt: new Date().toISOString(),
          createdBy: 'iwsi-playground 0.1.0 (browser)',
        });
        const file = exported.files.find((f) => f.name.endsWith('.jsonl'));
        if (!file || exported.kept === 0) throw new Error(trainer.trainerMessages.nothingToTrain());
        content = file.text;
        fileName = file.name;
      }
      const uploaded = await client.uploadFile(content, fileName, abort.signal);
      phase = 'create';
      const job = await client.createJob(
        trainer.supervisedJobRequest({
          model: this.model,
          trainingFileId: uploaded.id,
          settings: recipe.trainer,
          lossMode: recipe.lossMode,
          recipe,
        }),
        abort.signal,
      );
      this.job = job;
      this.progress = trainer.trainingProgress(job);
      const notes = job.iwsi.settings['notes'];
      this.jobNotes = Array.isArray(notes) ? notes.map(String) : [];
      const record = await this.createRecord(client.baseUrl, job, run?.id ?? null);
      phase = 'watch';
      await this.follow(trainer, client, job.id, record, abort.signal);
    } catch (error) {
      this.stopped(error, phase, fileName, trainer);
    } finally {
      this.busy = false;
      this.abort = null;
    }
  }

  /** Follow the record's unfinished job again (after a reload, or once the trainer is back). */
  async reattach(): Promise<void> {
    const client = this.client;
    const record = this.record;
    if (!client || !record?.remoteJobId || this.busy) return;
    const trainer = await loadTrainer();
    if (record.endpointId !== client.baseUrl) {
      this.notice = trainer.trainerMessages.reattachNeedsConnection(
        record.remoteJobId,
        record.endpointId,
      );
      return;
    }
    this.busy = true;
    this.clearMessages();
    const abort = new AbortController();
    this.abort = abort;
    try {
      await this.follow(trainer, client, record.remoteJobId, record, abort.signal);
    } catch (error) {
      this.stopped(error, 'watch', '', trainer);
    } finally {
      this.busy = false;
      this.abort = null;
    }
  }

  /** Cancel the job on the trainer (or the upload, before a job exists). */
  async cancel(): Promise<void> {
    const job = this.job;
    const remoteId = job?.id ?? this.record?.remoteJobId ?? null;
    if (remoteId === null) {
      this.abort?.abort();
      return;
    }
    const status = job?.status ?? this.record?.status ?? '';
    if (!this.client || FINISHED.includes(status) || this.cancelling) return;
    this.cancelling = true;
    const trainer = await loadTrainer();
    try {
      const reply = await this.client.cancelJob(remoteId);
      this.job = reply;
      this.progress = trainer.trainingProgress(reply);
      // A followed job ends its watch on the next poll; an unfollowed one ends here.
      if (!this.busy) this.finished(trainer, reply);
    } catch (error) {
      this.fail(error, 'cancel', { jobId: remoteId }, trainer);
    } finally {
      this.cancelling = false;
    }
  }

  /**
   * Show the latest job of the run on screen (the Train cell calls this when the run changes):
   * its stored record at once, the trainer's view once connected, and a re-attached watch if
   * it was still running.
   */
  async showRun(runId: string | null): Promise<void> {
    if (this.busy || runId === this.shownRunId) return;
    this.shownRunId = runId;
    const store = jobStore();
    let latest: TrainerJobRecord | null = null;
    if (store && runId !== null) {
      try {
        const jobs = await store.listTrainerJobs(runId);
        latest = jobs.find((j) => j.kind === JOB_KIND) ?? null;
      } catch {
        latest = null;
      }
    }
    if (this.busy || this.shownRunId !== runId) return;
    this.record = latest;
    this.job = null;
    this.progress = null;
    this.lastEvent = null;
    this.losses = latest ? storedCurve(latest) : [];
    if (latest) await this.resumeStored();
  }

  private async resumeStored(): Promise<void> {
    const record = this.record;
    if (!record?.remoteJobId || this.busy) return;
    const unfinished = !FINISHED.includes(record.status);
    const trainer = await loadTrainer();
    if (!this.client) {
      const saved = readSession();
      if (!unfinished || this.connecting) return;
      if (saved && trainer.normalizeBaseUrl(saved.baseUrl) === record.endpointId) {
        this.kind = saved.kind;
        this.baseUrl = saved.baseUrl;
        this.token = saved.token;
        if (saved.model) this.model = saved.model;
        await this.connect(); // re-enters here once connected
      } else {
        this.notice = trainer.trainerMessages.reattachNeedsConnection(
          record.remoteJobId,
          record.endpointId,
        );
      }
      return;
    }
    if (this.client.baseUrl !== record.endpointId || this.job?.id === record.remoteJobId) return;
    if (unfinished) {
      await this.reattach();
      return;
    }
    try {
      const job = await this.client.getJob(record.remoteJobId);
      if (this.record?.id === record.id && !this.busy) {
        this.job = job;
        this.progress = trainer.trainingProgress(job);
      }
    } catch {
      // The stored record stays on screen; the trainer may have lost its data directory.
    }
  }

  private async createRecord(
    endpointId: string,
    job: FineTuningJob,
    runId: string | null,
  ): Promise<TrainerJobRecord> {
    const fields = {
      runId,
      endpointId,
      remoteJobId: job.id,
      kind: JOB_KIND,
      status: job.status,
      events: [],
      metrics: {},
    };
    const store = jobStore();
    let record: TrainerJobRecord;
    if (store) {
      record = await store.putTrainerJob(fields);
    } else {
      const now = Date.now();
      record = { ...fields, id: `job-${job.id}`, createdAt: now, updatedAt: now };
    }
    this.record = record;
    return record;
  }

  /** Appends to the stored record in order; a failed write is reported, the job goes on. */
  private persist(
    trainer: TrainerModule,
    id: string,
    update: { status: string; events: TrainerJobEvent[]; metrics: MetricPoint[] },
  ): void {
    const store = jobStore();
    if (!store) return;
    this.saving = this.saving
      .then(async () => {
        const saved = await store.updateTrainerJob(id, {
          status: update.status,
          events: update.events,
          metrics: update.metrics.length > 0 ? { train_loss: update.metrics } : undefined,
        });
        if (this.record?.id === id) this.record = saved;
      })
      .catch((error: unknown) => {
        this.notice = trainer.trainerMessages.notSaved(
          error instanceof Error ? error.message : String(error),
        );
      });
  }

  /**
   * Polls the job until it ends, showing its progress, its losses and any outage, and appends
   * what is new to its stored record. Every event is fetched again (a reload keeps no cursor);
   * the first `record.events.length` of them are stored already.
   */
  private async follow(
    trainer: TrainerModule,
    client: TrainingEndpoint,
    remoteId: string,
    record: TrainerJobRecord,
    signal: AbortSignal,
  ): Promise<void> {
    const known = record.events.length;
    const events: JobEvent[] = [];
    let pendingEvents: TrainerJobEvent[] = [];
    let pendingLosses: MetricPoint[] = [];
    let savedStatus = record.status;
    const finished = await client.watchJob(remoteId, {
      signal,
      intervalMs: POLL_MS,
      outageToleranceMs: OUTAGE_TOLERANCE_MS,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'metrics') this.losses = trainer.lossCurve(events);
        else this.lastEvent = event.message;
        if (events.length <= known) return;
        pendingEvents.push({
          at: event.created_at * 1000,
          type: event.type === 'metrics' ? 'metrics' : event.level,
          message: event.message,
        });
        const { step, train_loss: loss } = event.data;
        if (event.type === 'metrics' && typeof step === 'number' && typeof loss === 'number') {
          pendingLosses.push({ step, value: loss });
        }
      },
      onJob: (current) => {
        this.job = current;
        this.progress = trainer.trainingProgress(current);
        if (pendingEvents.length > 0 || current.status !== savedStatus) {
          this.persist(trainer, record.id, {
            status: current.status,
            events: pendingEvents,
            metrics: pendingLosses,
          });
          pendingEvents = [];
          pendingLosses = [];
          savedStatus = current.status;
        }
      },
      onOutage: (error) => {
        if (error !== null) {
          this.outage = {
            since: this.outage?.since ?? Date.now(),
            message: trainer.trainerMessages.connectionLost(client.baseUrl, remoteId, error),
          };
        } else if (this.outage !== null) {
          const seconds = Math.round((Date.now() - this.outage.since) / 1000);
          this.outage = null;
          this.notice = trainer.trainerMessages.reattached(remoteId, seconds);
        }
      },
    });
    this.finished(trainer, finished);
  }

  /** Shows how a job ended. */
  private finished(trainer: TrainerModule, job: FineTuningJob): void {
    this.outage = null;
    this.job = job;
    this.progress = trainer.trainingProgress(job);
    const record = this.record;
    if (record && record.remoteJobId === job.id && record.status !== job.status) {
      this.persist(trainer, record.id, { status: job.status, events: [], metrics: [] });
    }
    if (job.status === 'failed') {
      this.trainError = trainer.trainerMessages.jobFailed(job);
      this.errorKind = 'server';
    } else if (job.status === 'cancelled') {
      const p = trainer.trainingProgress(job);
      this.notice = trainer.trainerMessages.jobCancelled(job.id, p.step, p.totalSteps);
    }
  }

  /** Shows why uploading, creating or following a job stopped. */
  private stopped(
    error: unknown,
    phase: TrainerPhase,
    fileName: string,
    trainer: TrainerModule | undefined,
  ): void {
    const outage = this.outage;
    this.outage = null;
    if (trainer && error instanceof trainer.TrainerError && error.kind === 'cancelled') {
      if (phase !== 'watch') this.notice = trainer.trainerMessages.cancelledBeforeJob();
      return;
    }
    if (trainer && phase === 'upload' && error instanceof trainer.TrainingFileError) {
      // Checked in this browser before anything was sent (a provider's adapter refusing
      // weighted rows): its message says so, and no trainer refused anything.
      this.trainError = `${fileName}: ${error.message}`;
      this.errorKind = error.kind;
      return;
    }
    const jobId = this.job?.id ?? this.record?.remoteJobId ?? '';
    if (trainer && phase === 'watch' && outage !== null && error instanceof trainer.TrainerError) {
      this.trainError = trainer.trainerMessages.gaveUp(
        this.client?.baseUrl ?? this.baseUrl,
        jobId,
        Math.round(OUTAGE_TOLERANCE_MS / 60_000),
        error.message,
      );
      this.errorKind = error.kind;
      return;
    }
    this.fail(error, phase, { fileName, jobId }, trainer);
  }

  /** Accuracy of a trainer model on the recipe's test slice (greedy, the notebook's prompt). */
  async evaluate(recipe: Recipe, model: string, label: string, limit: number): Promise<void> {
    if (this.connectedKind === 'together') {
      const { providerMessages } = await loadTrainer();
      this.evaluationError = providerMessages.noEvaluation('Together AI');
      return;
    }
    const client = this.evaluator;
    if (!client || this.evaluating) return;
    this.evaluating = label;
    this.evaluationError = null;
    let trainer: TrainerModule | undefined;
    try {
      trainer = await loadTrainer();
      const task = getTask(recipe.task);
      const items = await evaluationItems(recipe, limit);
      const exemplars = recipe.prompt.exemplars ?? task.defaultExemplars;
      const { outputs } = await client.runEvaluation(
        trainer.evaluationRequest({
          model,
          task,
          items,
          exemplars,
          maxTokens: recipe.evaluation.maxTokens,
          mode: recipe.extractionMode,
        }),
      );
      const score = trainer.scoreEvaluation(
        task,
        items,
        outputs.map((o) => o.text),
        recipe.extractionMode,
        runState.run?.model?.eosToken,
      );
      this.evaluations = [
        ...this.evaluations.filter((e) => e.label !== label),
        { label, model, score },
      ];
    } catch (error) {
      this.evaluationError = trainer
        ? trainer.explainFailure(error, 'evaluate', { label }).message
        : error instanceof Error
          ? error.message
          : String(error);
    } finally {
      this.evaluating = null;
    }
  }
}

/** The recipe's test slice (toy-arith: generated here; Hub tasks: through the data layer). */
export async function evaluationItems(recipe: Recipe, limit: number): Promise<EvaluationItem[]> {
  const { split, slice } = recipe.evaluation;
  if (recipe.task === 'toy-arith') {
    return toyArithSplit(split === 'train' || split === 'validation' ? split : 'test')
      .slice(slice.start, slice.end ?? undefined)
      .slice(0, limit)
      .map((item) => ({ question: item.question, gold: String(item.answer) }));
  }
  const { loadRecipeQuestions } = await import('../../data/datasets/recipe');
  const loaded = await loadRecipeQuestions({
    ...recipe,
    // The task's own test split, even when D_q comes from a file.
    dataset: { ...recipe.dataset, split, slice, file: null },
  });
  return loaded.questions.slice(0, limit).map((q) => ({ question: q.question, gold: q.gold }));
}

export const trainerState = new TrainerState();
