// The SPIN cell's state (method §12): a series of self-play iterations over prompts with human
// reference responses. Each iteration loads the model of the previous one into the engine worker
// (iteration 0: the notebook's model), samples one response per prompt, uploads its pairs mixed
// with the previous iteration's to the trainer connected in the Train cell (its address and
// token: never a second copy), follows the preference job, and keeps the merged model in the
// browser's model cache for the next iteration. The series lives in IndexedDB, so a reload keeps
// the finished iterations and re-attaches to a job still running on the trainer.
import type { Recipe } from '../../core/notebook';
import { SPIN_OFFICIAL_EPOCHS, spinSchedule } from '../../core/spin';
import { openStore, type Store } from '../../data/store';
import type { ModelInfo } from '../../engine/types';
import {
  generateSpinResponses,
  nextSpinIteration,
  pairsUpTo,
  spinIterationStart,
  spinModelFolder,
  spinPairsOf,
  spinTrainingFile,
  type SpinItem,
  type SpinIterationRecord,
  type SpinSeriesRecord,
  type SpinSource,
} from '../../pipeline/spin';
import { loadSpinItems } from '../../pipeline/spinItems';
import type {
  EndpointCheck,
  FineTuningJob,
  JobEvent,
  TrainerClient,
  TrainingProgress,
} from '../../trainer';
import {
  hasTrainedModel,
  storeTrainedModel,
  trainedModelKey,
  trainedModelSpec,
} from '../trainedModels';
import { runState } from './app.svelte';
import { notebookState } from './notebook.svelte';
import { session } from './session.svelte';
import { trainerState } from './trainer.svelte';

type TrainerModule = typeof import('../../trainer');

export type SpinPhase =
  | 'idle'
  | 'preparing'
  | 'loading-model'
  | 'generating'
  | 'uploading'
  | 'training'
  | 'downloading'
  | 'evaluating';

const CURRENT_KEY = 'spin-series:current';
const seriesKey = (id: string): string => `spin-series:${id}`;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function newSeriesId(): string {
  const random = new Uint8Array(4);
  globalThis.crypto.getRandomValues(random);
  const hex = Array.from(random, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${Date.now().toString(36)}${hex}`;
}

let storePromise: Promise<Store | null> | null = null;
function spinStore(): Promise<Store | null> {
  storePromise ??= Promise.resolve(typeof indexedDB === 'undefined' ? null : openStore());
  return storePromise;
}

class SpinState {
  series = $state.raw<SpinSeriesRecord | null>(null);
  restored = $state(false);
  /** Whether iterations survive a reload (IndexedDB) or live in this tab only. */
  persistent = $state(true);

  // The cell's choices for a new series (the series keeps what it used).
  sourceKind = $state<SpinSource['kind']>('train');
  start = $state(0);
  count = $state(8);
  /** Epochs per iteration: the notebook's, else the official 3. */
  get epochs(): number {
    return notebookState.notebook.recipe.trainer.spin.epochs ?? SPIN_OFFICIAL_EPOCHS;
  }
  set epochs(value: number) {
    notebookState.updateRecipe((r) => (r.trainer.spin.epochs = value));
  }
  /** New tokens per response: the notebook's, else the official 256. */
  get maxNewTokens(): number {
    return (
      notebookState.notebook.recipe.trainer.spin.maxNewTokens ??
      spinSchedule(0).generation.maxNewTokens
    );
  }
  set maxNewTokens(value: number) {
    notebookState.updateRecipe((r) => (r.trainer.spin.maxNewTokens = value));
  }
  evaluationLimit = $state(20);

  phase = $state<SpinPhase>('idle');
  /** The iteration being worked on. */
  iteration = $state<number | null>(null);
  generated = $state(0);
  total = $state(0);
  lastPair = $state.raw<{ item: SpinItem; text: string } | null>(null);
  job = $state.raw<FineTuningJob | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<{ step: number; loss: number }[]>([]);
  error = $state.raw<string | null>(null);
  notice = $state.raw<string | null>(null);

  private abort: AbortController | null = null;
  private client: { key: string; client: TrainerClient } | null = null;
  private reattachTriedFor: EndpointCheck | null = null;

  get busy(): boolean {
    return this.phase !== 'idle';
  }

  /** The last iteration is training on the trainer, and nothing here follows it. */
  get detached(): SpinIterationRecord | null {
    const last = this.series?.iterations.at(-1);
    return last?.status === 'training' && last.remoteJobId !== null && !this.busy ? last : null;
  }

  /** Reads the current series back from IndexedDB (once per page). */
  async restore(): Promise<void> {
    if (this.restored) return;
    this.restored = true;
    try {
      const store = await spinStore();
      this.persistent = store !== null;
      if (!store) return;
      const id = await store.getSetting<string>(CURRENT_KEY);
      const series = id ? await store.getSetting<SpinSeriesRecord>(seriesKey(id)) : undefined;
      if (series && this.series === null) {
        this.series = series;
        this.sourceKind = series.source.kind;
        this.start = series.source.start;
        this.count = series.source.count;
      }
    } catch (error) {
      this.error = `Could not read the stored SPIN iterations: ${message(error)}`;
    }
  }

  /** Forget the current series here (its records stay in storage); the next run starts anew. */
  async startOver(): Promise<void> {
    if (this.busy) return;
    this.series = null;
    this.job = null;
    this.progress = null;
    this.losses = [];
    this.error = null;
    this.notice = null;
    this.lastPair = null;
    notebookState.updateRecipe((r) => (r.trainer.spin.iteration = 0));
    const store = await spinStore();
    await store?.deleteSetting(CURRENT_KEY);
  }

  /** Runs the next iteration: generate its pairs (unless stored), train, keep the model. */
  async run(recipe: Recipe): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.notice = null;
    this.phase = 'preparing';
    const abort = new AbortController();
    this.abort = abort;
    try {
      const connection = trainerState.connection;
      if (!connection || !trainerState.model) {
        throw new Error('Connect to a trainer in the Train cell first.');
      }
      if (runState.working) {
        throw new Error('A run is using the model: pause it or let it finish first.');
      }
      let series = this.series ?? (await this.createSeries(recipe, connection));
      const t = nextSpinIteration(series);
      this.iteration = t;
      notebookState.updateRecipe((r) => (r.trainer.spin.iteration = t));
      if (series.iterations[t] === undefined) {
        series = await this.generate(series, t, recipe, abort.signal);
      }
      await this.train(series, t, recipe, abort);
    } catch (error) {
      if (abort.signal.aborted) {
        this.notice = 'Cancelled.';
        await this.markCancelled();
      } else {
        this.error = message(error);
        session.noteEngineError(error);
      }
    } finally {
      this.abort = null;
      this.phase = 'idle';
    }
  }

  /** Stops generation, or the job on the trainer. */
  async cancel(): Promise<void> {
    this.abort?.abort();
    const job = this.job;
    if (job && !['succeeded', 'failed', 'cancelled'].includes(job.status) && this.client) {
      try {
        this.job = await this.client.client.cancelJob(job.id);
      } catch (error) {
        this.error = message(error);
      }
    }
  }

  /**
   * Follows the job of an iteration left training by a reload, once the Train cell is
   * connected (tried once per connection).
   */
  async reattach(force = false): Promise<void> {
    const detached = this.detached;
    const connection = trainerState.connection;
    if (!detached || !connection || !this.series) return;
    if (!force && this.reattachTriedFor === connection) return;
    this.reattachTriedFor = connection;
    this.error = null;
    this.phase = 'training';
    this.iteration = detached.iteration;
    const abort = new AbortController();
    this.abort = abort;
    try {
      await this.follow(this.series, detached.iteration, detached.remoteJobId as string, abort);
    } catch (error) {
      if (abort.signal.aborted) await this.markCancelled();
      else this.error = message(error);
    } finally {
      this.abort = null;
      this.phase = 'idle';
    }
  }

  /** Greedy accuracy of iteration t's model on the trainer (the Evaluate cell's path). */
  async evaluate(recipe: Recipe, t: number): Promise<void> {
    const record = this.series?.iterations[t];
    if (this.busy || !record?.fineTunedModel) return;
    this.phase = 'evaluating';
    this.iteration = t;
    this.error = null;
    try {
      const label = `SPIN iteration ${t}`;
      const before = trainerState.evaluations.find((e) => e.label === label);
      await trainerState.evaluate(recipe, record.fineTunedModel, label, this.evaluationLimit);
      const row = trainerState.evaluations.find((e) => e.label === label);
      // A row of the same label from before (another series) is no result of this call.
      if (!row || row === before || row.model !== record.fineTunedModel) {
        throw new Error(trainerState.error ?? 'The evaluation gave no result.');
      }
      await this.updateIteration(t, {
        accuracy: { correct: row.score.correct, total: row.score.total },
      });
    } catch (error) {
      this.error = message(error);
    } finally {
      this.phase = 'idle';
    }
  }

  // ---- steps ---------------------------------------------------------------------------------

  private async createSeries(recipe: Recipe, connection: EndpointCheck): Promise<SpinSeriesRecord> {
    const { source, items } = await loadSpinItems(recipe, this.sourceKind, this.start, this.count, {
      validationFile: runState.validationFile,
    });
    const now = Date.now();
    const series: SpinSeriesRecord = {
      id: newSeriesId(),
      source,
      items,
      baseModel: recipe.engine.modelId,
      trainerModel: trainerState.model,
      endpoint: connection.url,
      iterations: [],
      createdAt: now,
      updatedAt: now,
    };
    await this.save(series);
    const store = await spinStore();
    await store?.setSetting(CURRENT_KEY, series.id);
    return series;
  }

  private async generate(
    series: SpinSeriesRecord,
    t: number,
    recipe: Recipe,
    signal: AbortSignal,
  ): Promise<SpinSeriesRecord> {
    const start = spinIterationStart(series, t);
    this.phase = 'loading-model';
    const model = await this.loadGenerator(recipe, series, t, start.browserModel);
    if (signal.aborted) throw new Error('cancelled');
    this.phase = 'generating';
    this.generated = 0;
    this.total = series.items.length;
    this.lastPair = null;
    const settings = spinSchedule(t).generation;
    const generations = await generateSpinResponses(
      session.engine,
      series.items,
      {
        iteration: t,
        seed: recipe.sampling.seed,
        temperature: settings.temperature,
        maxNewTokens: this.maxNewTokens,
        contextLength: model.contextLength,
      },
      {
        signal,
        onResponse: (progress) => {
          this.generated = progress.done;
          this.lastPair = { item: progress.item, text: progress.text };
        },
      },
    );
    const now = Date.now();
    const record: SpinIterationRecord = {
      iteration: t,
      generator: start.generator,
      pairs: spinPairsOf(series.items, generations, t, model.eosToken),
      trainedOn: [],
      trainingRows: 0,
      trainingFileId: null,
      startModel: null,
      jobRecordId: null,
      remoteJobId: null,
      status: 'generated',
      fineTunedModel: null,
      browserModel: null,
      steps: null,
      finalLoss: null,
      losses: [],
      accuracy: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    const next = { ...series, iterations: [...series.iterations.slice(0, t), record] };
    await this.save(next);
    return next;
  }

  /** Iteration 0: the notebook's model; later: the previous iteration's merged model. */
  private async loadGenerator(
    recipe: Recipe,
    series: SpinSeriesRecord,
    t: number,
    folder: string | null,
  ): Promise<ModelInfo> {
    if (t > 0 && folder === null) {
      throw new Error(
        `Iteration ${t - 1}'s model has no form the browser can load (the trainer exports a merged ONNX model for toy models only), so iteration ${t} cannot be generated here.`,
      );
    }
    if (folder === null) {
      const model = session.isLoaded(recipe.engine)
        ? session.model
        : await session.load(recipe.engine);
      if (!model) throw new Error(session.loadError?.message ?? 'The model did not load.');
      return model;
    }
    if (!(await hasTrainedModel(folder))) {
      // The model cache was cleared: fetch the merged model from the trainer again.
      const previous = series.iterations[t - 1];
      if (!previous?.remoteJobId) throw new Error(`Iteration ${t - 1} has no job to fetch.`);
      const client = await this.trainerClient();
      const job = await client.getJob(previous.remoteJobId);
      this.phase = 'downloading';
      await storeTrainedModel(folder, await client.downloadArtifact(job, 'merged-onnx'));
      this.phase = 'loading-model';
    }
    const key = trainedModelKey(folder, session.local.device);
    if (session.model !== null && session.loadedKey === key) return session.model;
    const model = await session.loadSpec(trainedModelSpec(folder, session.local.device), key);
    if (!model) throw new Error(session.loadError?.message ?? `${folder} did not load.`);
    return model;
  }

  private async train(
    series: SpinSeriesRecord,
    t: number,
    recipe: Recipe,
    abort: AbortController,
  ): Promise<void> {
    const signal = abort.signal;
    const trainer = await loadTrainer();
    const client = await this.trainerClient();
    const record = series.iterations[t] as SpinIterationRecord;
    const start = spinIterationStart(series, t);
    const file = spinTrainingFile(pairsUpTo(series, t, record.pairs), t);
    this.phase = 'uploading';
    this.job = null;
    this.progress = null;
    this.losses = [];
    const uploaded = await client.uploadFile(file.text, `spin-iter${t}.jsonl`, signal);
    const iterationRecipe = structuredClone(recipe);
    iterationRecipe.trainer.spin.iteration = t;
    const request = trainer.spinJobRequest({
      model: start.startModel,
      trainingFileId: uploaded.id,
      settings: iterationRecipe.trainer,
      lossMode: iterationRecipe.lossMode,
      recipe: iterationRecipe,
      suffix: `spin-iter${t}`,
    });
    if (request.method?.type === 'dpo') {
      request.method.dpo = {
        hyperparameters: { ...request.method.dpo?.hyperparameters, n_epochs: this.epochs },
      };
    }
    const job = await client.createJob(request, signal);
    this.job = job;
    const store = await spinStore();
    const jobRecord = await store?.putTrainerJob({
      runId: null,
      endpointId: client.baseUrl,
      remoteJobId: job.id,
      kind: 'spin',
      status: job.status,
      events: [],
      metrics: {},
    });
    const updated = await this.updateIteration(t, {
      trainedOn: file.trainedOn,
      trainingRows: file.rows,
      trainingFileId: uploaded.id,
      startModel: start.startModel,
      jobRecordId: jobRecord?.id ?? null,
      remoteJobId: job.id,
      status: 'training',
      error: null,
    });
    this.phase = 'training';
    await this.follow(updated, t, job.id, abort);
  }

  /** Watches iteration t's job to its end, then keeps the result (and the merged model). */
  private async follow(
    series: SpinSeriesRecord,
    t: number,
    jobId: string,
    abort: AbortController,
  ): Promise<void> {
    const trainer = await loadTrainer();
    const client = await this.trainerClient();
    const events: JobEvent[] = [];
    this.losses = [];
    const finished = await client.watchJob(jobId, {
      signal: abort.signal,
      onJob: (current) => {
        this.job = current;
        this.progress = trainer.trainingProgress(current);
      },
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'metrics') this.losses = trainer.lossCurve(events);
      },
    });
    this.job = finished;
    this.progress = trainer.trainingProgress(finished);
    const losses = trainer.lossCurve(events);
    const record = series.iterations[t] as SpinIterationRecord;
    const store = await spinStore();
    if (record.jobRecordId && store) {
      await store.updateTrainerJob(record.jobRecordId, {
        status: finished.status,
        metrics: { train_loss: losses.map((p) => ({ step: p.step, value: p.loss })) },
        events: [{ at: Date.now(), type: finished.status, message: `SPIN iteration ${t}` }],
      });
    }
    const outcome: Partial<SpinIterationRecord> = {
      steps: finished.iwsi.progress.step ?? null,
      finalLoss: finished.iwsi.progress.train_loss ?? null,
      losses,
    };
    if (finished.status !== 'succeeded') {
      await this.updateIteration(t, {
        ...outcome,
        status: finished.status === 'cancelled' ? 'cancelled' : 'failed',
        error: finished.error?.message ?? `The job ${finished.status}.`,
      });
      if (finished.status === 'failed') this.error = finished.error?.message ?? 'The job failed.';
      return;
    }
    let browserModel: string | null = null;
    if (finished.iwsi.artifacts.some((a) => a.kind === 'merged-onnx')) {
      this.phase = 'downloading';
      browserModel = spinModelFolder(series.id, t);
      const files = await client.downloadArtifact(finished, 'merged-onnx', abort.signal);
      await storeTrainedModel(browserModel, files);
    }
    await this.updateIteration(t, {
      ...outcome,
      status: 'succeeded',
      fineTunedModel: finished.fine_tuned_model,
      browserModel,
      error: null,
    });
    notebookState.updateRecipe((r) => (r.trainer.spin.iteration = t + 1));
  }

  private async markCancelled(): Promise<void> {
    const t = this.iteration;
    const record = t === null ? undefined : this.series?.iterations[t];
    if (t !== null && record?.status === 'training') {
      await this.updateIteration(t, { status: 'cancelled', error: 'Cancelled.' });
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** A client on the Train cell's connection (its address and token). */
  private async trainerClient(): Promise<TrainerClient> {
    const connection = trainerState.connection;
    if (!connection) throw new Error('Connect to a trainer in the Train cell first.');
    const key = `${connection.url}\n${trainerState.token}`;
    if (this.client?.key !== key) {
      const { TrainerClient } = await loadTrainer();
      this.client = {
        key,
        client: new TrainerClient({ baseUrl: connection.url, token: trainerState.token }),
      };
    }
    return this.client.client;
  }

  private async updateIteration(
    t: number,
    patch: Partial<SpinIterationRecord>,
  ): Promise<SpinSeriesRecord> {
    const series = this.series;
    const record = series?.iterations[t];
    if (!series || !record) throw new Error(`There is no SPIN iteration ${t}.`);
    const iterations = [...series.iterations];
    iterations[t] = { ...record, ...patch, updatedAt: Date.now() };
    const next = { ...series, iterations };
    await this.save(next);
    return next;
  }

  private async save(series: SpinSeriesRecord): Promise<void> {
    const next = { ...series, updatedAt: Date.now() };
    this.series = next;
    const store = await spinStore();
    await store?.setSetting(seriesKey(next.id), next);
  }
}

let trainerModule: Promise<TrainerModule> | null = null;
function loadTrainer(): Promise<TrainerModule> {
  trainerModule ??= import('../../trainer');
  return trainerModule;
}

export const spinState = new SpinState();
