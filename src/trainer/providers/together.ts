// Together AI's fine-tuning API behind the Train cell's endpoint interface: our job request
// becomes Together's (LoRA on the chosen model), Together's job and events become our job and
// progress, so the cell follows and cancels a hosted job like one on the reference trainer.
//
// Endpoints used, as Together documents them (https://docs.together.ai/reference): POST
// /v1/files/upload (multipart: purpose, file_name, file_type, file), POST /v1/fine-tunes,
// GET /v1/fine-tunes/{id}, GET /v1/fine-tunes/{id}/events, POST /v1/fine-tunes/{id}/cancel,
// GET /v1/fine-tunes (the connection check); Bearer API key. What our settings carry and
// Together has no field for is listed in the job's notes (iwsi.settings.notes), never dropped
// silently; weighted rows are refused before upload (Together has no per-row weights).

import { z } from 'zod';
import type { EndpointCheck, WatchOptions } from '../client';
import { normalizeBaseUrl } from '../client';
import { TrainerError } from '../errors';
import { providerMessages, trainerMessages } from '../messages';
import { errorForStatus, errorOfKind, readErrorReply } from '../httpErrors';
import { FINISHED_STATUSES } from '../protocol';
import { readJsonReply } from '../jsonReply';
import { pollUntilFinished } from '../polling';
import type { FineTuningJob, FineTuningJobRequest, JobEvent, JobStatus } from '../protocol';
import { checkTrainingFile, TRAINING_FORMAT_NAMES, TrainingFileError } from '../trainingFile';
import type { TrainingEndpoint } from './endpoint';

export const TOGETHER_NAME = 'Together AI';
export const TOGETHER_BASE_URL = 'https://api.together.xyz';

/** Together's names for the Llama-3-8B family it fine-tunes with LoRA (the user may type another). */
export const TOGETHER_LLAMA3_8B_MODELS = [
  'meta-llama/Meta-Llama-3-8B',
  'meta-llama/Meta-Llama-3-8B-Instruct',
  'meta-llama/Meta-Llama-3.1-8B-Reference',
  'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
] as const;

/**
 * Together's model for the notebook's engine model where one is known (web-llm's Llama-3 and
 * 3.1 8B builds, or a Hub id), else null and the user picks.
 */
export function togetherModelFor(engineModelId: string): string | null {
  const id = engineModelId.toLowerCase();
  const instruct = id.includes('instruct');
  if (/llama-3\.1-8b/.test(id)) {
    return instruct
      ? 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference'
      : 'meta-llama/Meta-Llama-3.1-8B-Reference';
  }
  if (/llama-3-8b/.test(id)) {
    return instruct ? 'meta-llama/Meta-Llama-3-8B-Instruct' : 'meta-llama/Meta-Llama-3-8B';
  }
  return null;
}

// -- Together's request and replies ---------------------------------------------------------

export interface TogetherLoraTrainingType {
  type: 'Lora';
  lora_r: number;
  lora_alpha: number;
  lora_dropout?: number;
  /** Comma-separated module names. */
  lora_trainable_modules?: string;
}

export interface TogetherFineTuneRequest {
  model: string;
  training_file: string;
  validation_file?: string;
  suffix?: string;
  n_epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  lr_scheduler?: {
    lr_scheduler_type: 'linear' | 'cosine';
    lr_scheduler_args: { min_lr_ratio: number; num_cycles?: number };
  };
  warmup_ratio?: number;
  max_grad_norm?: number;
  training_method?:
    { method: 'sft'; train_on_inputs: boolean | 'auto' } | { method: 'dpo'; dpo_beta?: number };
  training_type: TogetherLoraTrainingType;
}

const TOGETHER_STATUSES = [
  'pending',
  'queued',
  'running',
  'compressing',
  'uploading',
  'cancel_requested',
  'cancelled',
  'error',
  'completed',
] as const;

const fileReplySchema = z.looseObject({
  id: z.string(),
  object: z.string(),
  filename: z.string().optional(),
  bytes: z.number().optional(),
  purpose: z.string().optional(),
});

const eventReplySchema = z.looseObject({
  created_at: z.string(),
  message: z.string(),
  type: z.string().optional(),
  level: z.string().nullable().optional(),
  step: z.number().nullable().optional(),
  total_steps: z.number().nullable().optional(),
});
type TogetherEvent = z.infer<typeof eventReplySchema>;

const jobReplySchema = z.looseObject({
  id: z.string(),
  status: z.enum(TOGETHER_STATUSES),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  model: z.string().optional(),
  model_output_name: z.string().nullable().optional(),
  training_file: z.string().optional(),
  validation_file: z.string().nullable().optional(),
  token_count: z.number().nullable().optional(),
  epochs_completed: z.number().nullable().optional(),
  n_epochs: z.number().nullable().optional(),
  training_method: z.looseObject({ method: z.string() }).nullable().optional(),
  progress: z
    .looseObject({ estimate_available: z.boolean(), seconds_remaining: z.number() })
    .nullable()
    .optional(),
  events: z.array(eventReplySchema).nullable().optional(),
});
type TogetherJob = z.infer<typeof jobReplySchema>;

const listReplySchema = z.looseObject({ data: z.array(z.unknown()) });
const eventsReplySchema = z.looseObject({ data: z.array(eventReplySchema) });

// -- our request → Together's ---------------------------------------------------------------

/**
 * Together's body for our job request, and a note for each setting it has no field for. LoRA is
 * always on (training_type Lora with our r, alpha, dropout and modules).
 */
export function togetherJobRequest(request: FineTuningJobRequest): {
  body: TogetherFineTuneRequest;
  notes: string[];
} {
  const ext = request.iwsi ?? {};
  const notes: string[] = [];
  const method = request.method;
  const hyper =
    method?.type === 'dpo'
      ? method.dpo?.hyperparameters
      : method?.type === 'supervised'
        ? method.supervised?.hyperparameters
        : undefined;
  const lora = ext.lora ?? {};
  const training_type: TogetherLoraTrainingType = {
    type: 'Lora',
    lora_r: lora.r ?? 64,
    lora_alpha: lora.alpha ?? 16,
  };
  if (lora.dropout !== undefined) training_type.lora_dropout = lora.dropout;
  if (lora.target_modules !== undefined && lora.target_modules.length > 0) {
    training_type.lora_trainable_modules = lora.target_modules.join(',');
  }
  const body: TogetherFineTuneRequest = {
    model: request.model,
    training_file: request.training_file,
    training_type,
  };
  if (request.validation_file) body.validation_file = request.validation_file;
  if (request.suffix) body.suffix = request.suffix;
  if (typeof hyper?.n_epochs === 'number') body.n_epochs = hyper.n_epochs;
  if (typeof hyper?.batch_size === 'number') {
    const accumulation = ext.gradient_accumulation_steps ?? 1;
    body.batch_size = hyper.batch_size * accumulation;
    if (accumulation > 1) {
      notes.push(providerMessages.accumulationFolded(hyper.batch_size, accumulation));
    }
  }
  if (ext.learning_rate !== undefined) body.learning_rate = ext.learning_rate;
  if (ext.schedule === 'cosine') {
    body.lr_scheduler = {
      lr_scheduler_type: 'cosine',
      lr_scheduler_args: { min_lr_ratio: 0, num_cycles: 0.5 },
    };
  } else if (ext.schedule === 'linear') {
    body.lr_scheduler = { lr_scheduler_type: 'linear', lr_scheduler_args: { min_lr_ratio: 0 } };
  } else if (ext.schedule === 'constant') {
    // A linear schedule that ends at its peak is a constant one.
    body.lr_scheduler = { lr_scheduler_type: 'linear', lr_scheduler_args: { min_lr_ratio: 1 } };
  }
  if (ext.warmup_ratio !== undefined) body.warmup_ratio = ext.warmup_ratio;
  if (ext.max_grad_norm !== undefined) body.max_grad_norm = ext.max_grad_norm;
  if (method?.type === 'dpo') {
    body.training_method = { method: 'dpo' };
    if (hyper?.beta !== undefined) body.training_method.dpo_beta = hyper.beta;
  } else {
    body.training_method = { method: 'sft', train_on_inputs: ext.loss_mode === 'faithful' };
    if (ext.loss_mode === 'faithful') notes.push(providerMessages.faithfulLoss());
  }
  const notSent = (what: string, why: string) => notes.push(providerMessages.notSent(what, why));
  if (ext.optimizer !== undefined && ext.optimizer !== 'adamw') {
    notSent(`Optimizer ${ext.optimizer}`, 'Together chooses the optimizer');
  }
  if (ext.max_length !== undefined) {
    notSent(`Max length ${ext.max_length}`, "Together trains at the model's context length");
  }
  if (ext.max_prompt_length !== undefined) {
    notSent(`Max prompt length ${ext.max_prompt_length}`, 'no such field');
  }
  if (request.seed !== undefined) notSent(`Seed ${request.seed}`, 'no such field');
  if (ext.checkpoint_every !== undefined) {
    notSent(`Checkpoint every ${ext.checkpoint_every} steps`, 'no such field');
  }
  if (ext.artifacts !== undefined) {
    notSent('Artifacts', 'Together keeps the adapter on its side; none are downloaded here');
  }
  if (ext.spin !== undefined) {
    notSent(
      `SPIN iteration ${ext.spin.iteration ?? '?'}`,
      "DPO with the notebook's β is sent; the iteration lives in the notebook",
    );
  }
  if (ext.recipe !== undefined) notSent('The recipe', 'it stays with the run in this browser');
  return { body, notes };
}

// -- our training file → Together's ---------------------------------------------------------

type Row = Record<string, unknown>;

function isPreferenceRow(row: Row): boolean {
  return 'chosen' in row || 'preferred_output' in row;
}

/**
 * The training file as Together takes it: checked like any upload, refused when rows are
 * weighted (Together has no per-row weights), each row without its weight field, and
 * prompt/chosen/rejected pairs in Together's preference layout.
 */
export function togetherTrainingFile(text: string): { text: string; rows: number } {
  const rows = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Row;
      } catch {
        return null;
      }
    });
  const first = rows.find((row) => row !== null && typeof row === 'object');
  const summary = checkTrainingFile(
    text,
    first !== undefined && first !== null && isPreferenceRow(first) ? 'dpo' : 'supervised',
  );
  if (summary.weighted) {
    throw new TrainingFileError(
      providerMessages.weightedRows(TOGETHER_NAME, summary.rows, summary.zeroWeightRows),
      null,
    );
  }
  if (summary.format === 'alpaca') {
    throw new TrainingFileError(
      providerMessages.formatNotTaken(TOGETHER_NAME, TRAINING_FORMAT_NAMES.alpaca),
      null,
    );
  }
  const out = (rows as Row[]).map((row) => {
    const rest: Row = { ...row };
    delete rest['weight'];
    if (summary.format === 'messages' && Array.isArray(rest['messages'])) {
      rest['messages'] = (rest['messages'] as Row[]).map((m) => {
        const message: Row = { ...m };
        delete message['weight'];
        return message;
      });
    }
    if (summary.format !== 'preference') return rest;
    return {
      input: { messages: [{ role: 'user', content: rest['prompt'] }] },
      preferred_output: [{ role: 'assistant', content: rest['chosen'] }],
      non_preferred_output: [{ role: 'assistant', content: rest['rejected'] }],
    };
  });
  return { text: out.map((row) => JSON.stringify(row)).join('\n') + '\n', rows: summary.rows };
}

// -- Together's job and events → ours -------------------------------------------------------

const STATUS: Record<(typeof TOGETHER_STATUSES)[number], JobStatus> = {
  pending: 'queued',
  queued: 'queued',
  running: 'running',
  compressing: 'running',
  uploading: 'running',
  cancel_requested: 'running',
  cancelled: 'cancelled',
  error: 'failed',
  completed: 'succeeded',
};

function seconds(iso: string | undefined): number {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

/** Together's events as ours; ids are "<job>:<index>" (Together's events carry none). */
export function togetherEvents(jobId: string, events: readonly TogetherEvent[]): JobEvent[] {
  return events.map((event, index) => ({
    object: 'fine_tuning.job.event',
    id: `${jobId}:${index}`,
    created_at: seconds(event.created_at),
    level: event.level === 'error' ? 'error' : event.level === 'warning' ? 'warn' : 'info',
    message: event.message,
    type: 'message',
    data: {
      together_type: event.type ?? null,
      step: event.step ?? null,
      total_steps: event.total_steps ?? null,
    },
  }));
}

/** Together's job as ours, its step taken from the newest event that reports one. */
export function togetherJob(
  job: TogetherJob,
  events: readonly TogetherEvent[],
  notes: readonly string[] = [],
): FineTuningJob {
  const status = STATUS[job.status];
  const progress: FineTuningJob['iwsi']['progress'] = {};
  for (const event of events) {
    if (typeof event.step === 'number' && event.step > 0) progress.step = event.step;
    if (typeof event.total_steps === 'number' && event.total_steps > 0) {
      progress.total_steps = event.total_steps;
    }
  }
  if (typeof job.epochs_completed === 'number') progress.epoch = job.epochs_completed;
  if (job.progress?.estimate_available) progress.eta_seconds = job.progress.seconds_remaining;
  const lastError = [...events]
    .reverse()
    .find((e) => e.level === 'error' || e.type === 'job_error');
  const finished = (FINISHED_STATUSES as readonly string[]).includes(status);
  const outputName = job.model_output_name ?? null;
  return {
    object: 'fine_tuning.job',
    id: job.id,
    created_at: seconds(job.created_at),
    finished_at: finished ? seconds(job.updated_at) : null,
    model: job.model ?? '',
    status,
    fine_tuned_model: status === 'succeeded' ? outputName : null,
    training_file: job.training_file ?? '',
    validation_file: job.validation_file ?? null,
    result_files: [],
    trained_tokens: job.token_count ?? null,
    seed: 0,
    error:
      status === 'failed'
        ? {
            code: 'together_error',
            message: lastError?.message ?? providerMessages.jobFailed(TOGETHER_NAME),
          }
        : null,
    method: { type: job.training_method?.method === 'dpo' ? 'dpo' : 'supervised' },
    iwsi: {
      fine_tuned_model_name: outputName ?? '',
      progress,
      artifacts: [],
      settings: { provider: 'together', together_status: job.status, notes: [...notes] },
    },
  };
}

// -- the adapter ----------------------------------------------------------------------------

export interface TogetherClientOptions {
  /** Default https://api.together.xyz (a trailing "/v1" is accepted). */
  baseUrl?: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Time limit of one request in ms (default 30 s; uploads 10 min). */
  timeoutMs?: number;
}

export class TogetherClient implements TrainingEndpoint {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  /** The notes of each job created here (Together does not keep them). */
  private readonly notes = new Map<string, string[]>();

  constructor(options: TogetherClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? TOGETHER_BASE_URL);
    this.apiKey = options.apiKey;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  private async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    init: { body?: BodyInit; json?: boolean; signal?: AbortSignal; transfer?: boolean } = {},
  ): Promise<z.infer<S>> {
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.apiKey}` };
    if (init.json) headers['Content-Type'] = 'application/json';
    const limit = init.transfer ? 600_000 : this.timeoutMs;
    const timeout = AbortSignal.timeout(limit);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: init.body ?? null,
        signal,
      });
    } catch (err) {
      if (init.signal?.aborted)
        throw new TrainerError('cancelled', trainerMessages.requestCancelled(what));
      if (timeout.aborted) {
        throw new TrainerError(
          'timeout',
          trainerMessages.timeout(this.baseUrl, what, Math.round(limit / 1000)),
        );
      }
      const detail = err instanceof Error ? err.message : String(err);
      throw new TrainerError(
        'unreachable',
        providerMessages.unreachable(TOGETHER_NAME, this.baseUrl, detail),
      );
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw this.httpError(response, text, what);
    return readJsonReply(text, response.status, schema, `${TOGETHER_NAME} ${what}`);
  }

  private httpError(response: Response, text: string, what: string): TrainerError {
    const statusLine = trainerMessages.httpStatus(what, response.status, response.statusText);
    const reply = readErrorReply(response.status, text, statusLine);
    if (reply.status === 401 || reply.status === 403) {
      const message = providerMessages.unauthorized(TOGETHER_NAME, this.baseUrl, reply.message);
      return errorOfKind('unauthorized', message, reply);
    }
    return errorForStatus(reply);
  }

  /** Lists the account's fine-tunes: reachable, and the key accepted. */
  async checkEndpoint(signal?: AbortSignal): Promise<EndpointCheck> {
    const started = Date.now();
    await this.request('GET', '/v1/fine-tunes', listReplySchema, { signal });
    return {
      url: this.baseUrl,
      latencyMs: Date.now() - started,
      version: {
        object: 'iwsi.version',
        protocol: 'together-fine-tunes',
        protocol_version: '1',
        trainer_version: TOGETHER_NAME,
        capabilities: {
          models: TOGETHER_LLAMA3_8B_MODELS.map((id) => ({ id, backend: 'together' })),
          methods: ['supervised', 'dpo'],
          artifacts: [],
          evaluation: false,
          devices: ['hosted'],
          backends: { together: true },
          limits: { max_upload_bytes: 0, max_json_bytes: 0 },
        },
      },
    };
  }

  /** Uploads the training file in Together's layout (see togetherTrainingFile). */
  async uploadFile(
    content: string,
    filename = 'train.jsonl',
    signal?: AbortSignal,
  ): Promise<{ id: string }> {
    const converted = togetherTrainingFile(content);
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file_name', filename);
    form.append('file_type', 'jsonl');
    form.append('file', new Blob([converted.text], { type: 'application/jsonl' }), filename);
    return this.request('POST', '/v1/files/upload', fileReplySchema, {
      body: form,
      signal,
      transfer: true,
    });
  }

  async createJob(request: FineTuningJobRequest, signal?: AbortSignal): Promise<FineTuningJob> {
    const { body, notes } = togetherJobRequest(request);
    const reply = await this.request('POST', '/v1/fine-tunes', jobReplySchema, {
      body: JSON.stringify(body),
      json: true,
      signal,
    });
    this.notes.set(reply.id, notes);
    return togetherJob(reply, reply.events ?? [], notes);
  }

  async getJob(id: string, signal?: AbortSignal): Promise<FineTuningJob> {
    const [job, events] = await Promise.all([
      this.request('GET', `/v1/fine-tunes/${encodeURIComponent(id)}`, jobReplySchema, { signal }),
      this.rawEvents(id, signal),
    ]);
    return togetherJob(job, events, this.notes.get(id));
  }

  async cancelJob(id: string, signal?: AbortSignal): Promise<FineTuningJob> {
    const reply = await this.request(
      'POST',
      `/v1/fine-tunes/${encodeURIComponent(id)}/cancel`,
      jobReplySchema,
      { signal },
    );
    return togetherJob(reply, reply.events ?? [], this.notes.get(id));
  }

  private async rawEvents(id: string, signal?: AbortSignal): Promise<TogetherEvent[]> {
    const path = `/v1/fine-tunes/${encodeURIComponent(id)}/events`;
    return (await this.request('GET', path, eventsReplySchema, { signal })).data;
  }

  /** The job's events as ours, oldest first. */
  async listEvents(id: string, signal?: AbortSignal): Promise<JobEvent[]> {
    return togetherEvents(id, await this.rawEvents(id, signal));
  }

  /**
   * Polls the job until it finishes, like TrainerClient.watchJob: each new event in order, the
   * job after each poll, outages tolerated for outageToleranceMs. `after` is an event id this
   * adapter gave ("<job>:<index>"); Together lists every event each time.
   */
  async watchJob(id: string, options: WatchOptions = {}): Promise<FineTuningJob> {
    const afterIndex = options.after ? Number(options.after.split(':').pop()) : -1;
    let seen = Number.isInteger(afterIndex) ? afterIndex + 1 : 0;
    return pollUntilFinished(async (signal) => {
      const [raw, rawEvents] = await Promise.all([
        this.request('GET', `/v1/fine-tunes/${encodeURIComponent(id)}`, jobReplySchema, {
          signal,
        }),
        this.rawEvents(id, signal),
      ]);
      const events = togetherEvents(id, rawEvents);
      for (const event of events.slice(seen)) options.onEvent?.(event);
      seen = Math.max(seen, events.length);
      const job = togetherJob(raw, rawEvents, this.notes.get(id));
      options.onJob?.(job);
      return job;
    }, options);
  }
}
