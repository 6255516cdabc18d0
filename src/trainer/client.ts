// The trainer client: one class over fetch, for the browser and for Node (the CLI). Every
// failure becomes a TrainerError whose kind says what went wrong (unreachable, CORS, wrong token,
// other protocol, malformed reply, server error…) and whose message says what to do about it.

import type { z } from 'zod';
import { TrainerError } from './errors';
import { errorForStatus, errorOfKind, readErrorReply } from './httpErrors';
import { trainerMessages } from './messages';
import { readJsonReply } from './jsonReply';
import { pollUntilFinished } from './polling';
import {
  checkpointSchema,
  evaluationSchema,
  eventSchema,
  fileSchema,
  jobSchema,
  listSchema,
  outputsSchema,
  PROTOCOL_MAJOR,
  PROTOCOL_NAME,
  versionSchema,
} from './protocol';
import type {
  ArtifactKind,
  EvaluationJob,
  EvaluationOutput,
  EvaluationRequest,
  FineTuningJob,
  FineTuningJobRequest,
  JobCheckpoint,
  JobEvent,
  TrainerFile,
  TrainerVersion,
} from './protocol';

export interface TrainerClientOptions {
  /** The trainer's address, e.g. "http://localhost:8765" (a trailing "/v1" is accepted). */
  baseUrl: string;
  /** The bearer token the trainer was started with. */
  token: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /**
   * Node only: send this Origin header and check the CORS reply the way a browser would, so a
   * command-line check tells whether a page at that origin will be let in.
   */
  origin?: string;
  /** Time limit of one ordinary request in ms (default 30 s). */
  timeoutMs?: number;
  /** Time limit of an upload or download in ms (default 10 min). */
  transferTimeoutMs?: number;
}

export interface EndpointCheck {
  url: string;
  version: TrainerVersion;
  /** Round trip of the version request, in ms. */
  latencyMs: number;
}

export interface WatchOptions {
  /** Poll interval in ms (default 1000). */
  intervalMs?: number;
  /** The last event already seen (after a reload: the stored one); null for all events. */
  after?: string | null;
  signal?: AbortSignal;
  /** Every new event, in order. */
  onEvent?: (event: JobEvent) => void;
  /** The job after each poll. */
  onJob?: (job: FineTuningJob) => void;
  /**
   * How long the trainer may stay unreachable (e.g. while it restarts) before watching gives
   * up, in ms (default 60 s). Jobs survive a restart, so a watch simply carries on.
   */
  outageToleranceMs?: number;
  /**
   * Told about an outage as it happens: the error of each failed poll while the trainer does
   * not answer, then null once it answers again (so a page can say the connection is lost).
   */
  onOutage?: (error: TrainerError | null) => void;
}

interface RequestInit2 {
  body?: BodyInit;
  contentType?: string;
  signal?: AbortSignal;
  transfer?: boolean;
}

/** "http://host:8765/v1/" → "http://host:8765". */
export function normalizeBaseUrl(url: string): string {
  let out = url.trim();
  while (out.endsWith('/')) out = out.slice(0, -1);
  if (out.endsWith('/v1')) out = out.slice(0, -3);
  return out;
}

function pageOrigin(): string | null {
  const loc = (globalThis as { location?: { origin?: unknown } }).location;
  return loc !== undefined && typeof loc.origin === 'string' ? loc.origin : null;
}

async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return null; // not a secure context: size checks only
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export class TrainerClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch;
  private readonly origin: string | undefined;
  private readonly timeoutMs: number;
  private readonly transferTimeoutMs: number;

  constructor(options: TrainerClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl);
    this.token = options.token;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.origin = options.origin;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 600_000;
  }

  // -- plumbing -------------------------------------------------------------------------------

  private async send(method: string, path: string, init: RequestInit2 = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}` };
    if (init.contentType !== undefined) headers['Content-Type'] = init.contentType;
    if (this.origin !== undefined) headers['Origin'] = this.origin;
    const limit = init.transfer ? this.transferTimeoutMs : this.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limit);
    const onAbort = () => controller.abort();
    init.signal?.addEventListener('abort', onAbort, { once: true });
    let response: Response;
    try {
      if (init.signal?.aborted) throw new Error('aborted');
      response = await this.fetchImpl(url, {
        method,
        headers,
        body: init.body ?? null,
        signal: controller.signal,
      });
    } catch (err) {
      clearTimeout(timer);
      if (init.signal?.aborted) {
        throw new TrainerError('cancelled', trainerMessages.requestCancelled(`${method} ${path}`));
      }
      if (timedOut) {
        throw new TrainerError(
          'timeout',
          trainerMessages.timeout(this.baseUrl, `${method} ${path}`, Math.round(limit / 1000)),
        );
      }
      throw await this.networkError(err);
    } finally {
      init.signal?.removeEventListener('abort', onAbort);
    }
    clearTimeout(timer);
    if (this.origin !== undefined) {
      const allowed = response.headers.get('access-control-allow-origin');
      if (allowed !== this.origin) throw this.corsError(this.origin);
    }
    if (!response.ok) throw await this.httpError(response, method, path);
    return response;
  }

  private corsError(origin: string): TrainerError {
    return new TrainerError('cors', trainerMessages.cors(this.baseUrl, origin));
  }

  private async networkError(err: unknown): Promise<TrainerError> {
    const detail = err instanceof Error ? err.message : String(err);
    const origin = pageOrigin();
    if (origin !== null && this.origin === undefined) {
      // A browser hides why a request failed. An opaque no-cors request still succeeds when the
      // server is up, which tells a CORS refusal from a trainer that is not there at all (a
      // cross-origin-isolated page needs the reply's Cross-Origin-Resource-Policy: cross-origin,
      // which the reference trainer sends on every reply).
      try {
        await this.fetchImpl(`${this.baseUrl}/v1/version`, {
          mode: 'no-cors',
          signal: AbortSignal.timeout(5000),
        });
        return this.corsError(origin);
      } catch {
        // Not reachable either way.
      }
    }
    const httpsPage = origin?.startsWith('https:') === true && this.baseUrl.startsWith('http:');
    return new TrainerError(
      'unreachable',
      trainerMessages.unreachable(
        this.baseUrl,
        detail,
        httpsPage,
        this.origin === undefined ? origin : null,
      ),
    );
  }

  private async httpError(response: Response, method: string, path: string): Promise<TrainerError> {
    const text = await response.text().catch(() => '');
    const statusLine = trainerMessages.httpStatus(
      `${method} ${path}`,
      response.status,
      response.statusText,
    );
    const reply = readErrorReply(response.status, text, statusLine);
    if (reply.status === 401) {
      return errorOfKind(
        'unauthorized',
        trainerMessages.unauthorized(this.baseUrl, reply.message),
        reply,
      );
    }
    if (reply.status === 403 && reply.code === 'origin_not_allowed') {
      return errorOfKind('cors', reply.message, reply);
    }
    return errorForStatus(reply);
  }

  private async json<S extends z.ZodType>(
    response: Response,
    schema: S,
    what: string,
  ): Promise<z.infer<S>> {
    return readJsonReply(await response.text(), response.status, schema, what);
  }

  private async getJson<S extends z.ZodType>(
    path: string,
    schema: S,
    signal?: AbortSignal,
  ): Promise<z.infer<S>> {
    const response = await this.send('GET', path, { signal });
    return this.json(response, schema, `GET ${path}`);
  }

  private async postJson<S extends z.ZodType>(
    path: string,
    body: unknown,
    schema: S,
    signal?: AbortSignal,
  ): Promise<z.infer<S>> {
    const response = await this.send('POST', path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      contentType: body === undefined ? undefined : 'application/json',
      signal,
    });
    return this.json(response, schema, `POST ${path}`);
  }

  // -- endpoint -------------------------------------------------------------------------------

  async version(signal?: AbortSignal): Promise<TrainerVersion> {
    return this.getJson('/v1/version', versionSchema, signal);
  }

  /**
   * Is the trainer reachable, does it let this origin in, does it accept the token, and does it
   * speak this protocol? Resolves with its capabilities or throws the TrainerError that says
   * which of these failed.
   */
  async checkEndpoint(signal?: AbortSignal): Promise<EndpointCheck> {
    const started = Date.now();
    let response: Response;
    try {
      response = await this.send('GET', '/v1/version', { signal });
    } catch (err) {
      if (err instanceof TrainerError && err.kind === 'not-found') {
        throw new TrainerError(
          'protocol-mismatch',
          trainerMessages.notATrainer(this.baseUrl),
          err.status,
        );
      }
      throw err;
    }
    const text = await response.text();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = undefined;
    }
    const protocol = (raw as { protocol?: unknown } | undefined)?.protocol;
    if (protocol !== PROTOCOL_NAME) {
      throw new TrainerError(
        'protocol-mismatch',
        trainerMessages.otherProtocol(this.baseUrl, protocol),
      );
    }
    const versionText = String((raw as { protocol_version?: unknown }).protocol_version ?? '');
    const major = Number.parseInt(versionText.split('.')[0] ?? '', 10);
    if (major !== PROTOCOL_MAJOR) {
      throw new TrainerError(
        'protocol-mismatch',
        trainerMessages.otherMajorVersion(versionText, PROTOCOL_MAJOR, major > PROTOCOL_MAJOR),
      );
    }
    const parsed = versionSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TrainerError(
        'malformed-reply',
        trainerMessages.incompleteVersion(issue?.path.join('.') ?? '', issue?.message ?? ''),
      );
    }
    return { url: this.baseUrl, version: parsed.data, latencyMs: Date.now() - started };
  }

  // -- files ----------------------------------------------------------------------------------

  /** Upload a JSONL training file (purpose fine-tune). */
  async uploadFile(
    content: string | Uint8Array | Blob,
    filename = 'train.jsonl',
    signal?: AbortSignal,
  ): Promise<TrainerFile> {
    const blob =
      content instanceof Blob
        ? content
        : new Blob([content as BlobPart], { type: 'application/jsonl' });
    const form = new FormData();
    form.append('purpose', 'fine-tune');
    form.append('file', blob, filename);
    const response = await this.send('POST', '/v1/files', { body: form, signal, transfer: true });
    return this.json(response, fileSchema, 'POST /v1/files');
  }

  async getFile(id: string, signal?: AbortSignal): Promise<TrainerFile> {
    return this.getJson(`/v1/files/${encodeURIComponent(id)}`, fileSchema, signal);
  }

  async downloadFile(id: string, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `/v1/files/${encodeURIComponent(id)}/content`;
    const response = await this.send('GET', path, { signal, transfer: true });
    return new Uint8Array(await response.arrayBuffer());
  }

  // -- fine-tuning jobs -----------------------------------------------------------------------

  async createJob(request: FineTuningJobRequest, signal?: AbortSignal): Promise<FineTuningJob> {
    return this.postJson('/v1/fine_tuning/jobs', request, jobSchema, signal);
  }

  async getJob(id: string, signal?: AbortSignal): Promise<FineTuningJob> {
    return this.getJson(`/v1/fine_tuning/jobs/${encodeURIComponent(id)}`, jobSchema, signal);
  }

  /** Jobs, newest first, a page at a time. */
  async listJobs(
    options: { after?: string; limit?: number; signal?: AbortSignal } = {},
  ): Promise<{ jobs: FineTuningJob[]; hasMore: boolean }> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 20) });
    if (options.after !== undefined) query.set('after', options.after);
    const list = await this.getJson(
      `/v1/fine_tuning/jobs?${query}`,
      listSchema(jobSchema),
      options.signal,
    );
    return { jobs: list.data, hasMore: list.has_more };
  }

  async cancelJob(id: string, signal?: AbortSignal): Promise<FineTuningJob> {
    return this.postJson(
      `/v1/fine_tuning/jobs/${encodeURIComponent(id)}/cancel`,
      undefined,
      jobSchema,
      signal,
    );
  }

  /** Events in order of creation, after the cursor (an event id), a page at a time. */
  async listEvents(
    id: string,
    options: { after?: string | null; limit?: number; signal?: AbortSignal } = {},
    kind: 'fine_tuning/jobs' | 'iwsi/evaluations' = 'fine_tuning/jobs',
  ): Promise<{ events: JobEvent[]; hasMore: boolean }> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 100) });
    if (options.after) query.set('after', options.after);
    const list = await this.getJson(
      `/v1/${kind}/${encodeURIComponent(id)}/events?${query}`,
      listSchema(eventSchema),
      options.signal,
    );
    return { events: list.data, hasMore: list.has_more };
  }

  /** Every event after the cursor (all pages). */
  async eventsAfter(
    id: string,
    after: string | null,
    signal?: AbortSignal,
    kind: 'fine_tuning/jobs' | 'iwsi/evaluations' = 'fine_tuning/jobs',
  ): Promise<JobEvent[]> {
    const out: JobEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.listEvents(id, { after: cursor, limit: 500, signal }, kind);
      out.push(...page.events);
      if (!page.hasMore || page.events.length === 0) return out;
      cursor = page.events[page.events.length - 1]?.id ?? cursor;
    }
  }

  async listCheckpoints(id: string, signal?: AbortSignal): Promise<JobCheckpoint[]> {
    const list = await this.getJson(
      `/v1/fine_tuning/jobs/${encodeURIComponent(id)}/checkpoints`,
      listSchema(checkpointSchema),
      signal,
    );
    return list.data;
  }

  /**
   * Follow a job until it finishes: new events in order, the job after each poll. Re-attaching
   * after a page reload is the same call with the stored job id and last event id. Resolves with
   * the finished job (succeeded, failed or cancelled: check `status`).
   */
  async watchJob(id: string, options: WatchOptions = {}): Promise<FineTuningJob> {
    return this.watch(
      id,
      options,
      (signal) => this.getJob(id, signal),
      'fine_tuning/jobs',
      options.onJob,
    );
  }

  private async watch<J extends { status: string }>(
    id: string,
    options: Omit<WatchOptions, 'onJob'>,
    fetchJob: (signal?: AbortSignal) => Promise<J>,
    kind: 'fine_tuning/jobs' | 'iwsi/evaluations',
    onJob?: (job: J) => void,
  ): Promise<J> {
    let after = options.after ?? null;
    return pollUntilFinished(async (signal) => {
      const job = await fetchJob(signal);
      for (const event of await this.eventsAfter(id, after, signal, kind)) {
        after = event.id;
        options.onEvent?.(event);
      }
      onJob?.(job);
      return job;
    }, options);
  }

  /**
   * Download one artifact of a finished job (the adapter, or the merged model in the
   * transformers.js layout) as path → bytes, checking each file's size and SHA-256.
   */
  async downloadArtifact(
    job: FineTuningJob,
    kind: ArtifactKind,
    signal?: AbortSignal,
  ): Promise<Map<string, Uint8Array>> {
    const artifact = job.iwsi.artifacts.find((a) => a.kind === kind);
    if (artifact === undefined) {
      const have = job.iwsi.artifacts.map((a) => a.kind).join(', ') || 'none';
      throw new TrainerError(
        'not-found',
        trainerMessages.noArtifact(job.id, kind, have, job.status),
      );
    }
    const files = new Map<string, Uint8Array>();
    for (const file of artifact.files) {
      const bytes = await this.downloadFile(file.file_id, signal);
      const hash = await sha256Hex(bytes);
      if (bytes.length !== file.bytes || (hash !== null && hash !== file.sha256)) {
        throw new TrainerError(
          'integrity',
          trainerMessages.damagedArtifact(
            `${kind}/${file.path}`,
            bytes.length,
            file.bytes,
            hash !== null && hash !== file.sha256,
          ),
        );
      }
      files.set(file.path, bytes);
    }
    return files;
  }

  // -- evaluation -----------------------------------------------------------------------------

  async createEvaluation(request: EvaluationRequest, signal?: AbortSignal): Promise<EvaluationJob> {
    return this.postJson('/v1/iwsi/evaluations', request, evaluationSchema, signal);
  }

  async getEvaluation(id: string, signal?: AbortSignal): Promise<EvaluationJob> {
    return this.getJson(`/v1/iwsi/evaluations/${encodeURIComponent(id)}`, evaluationSchema, signal);
  }

  async cancelEvaluation(id: string, signal?: AbortSignal): Promise<EvaluationJob> {
    return this.postJson(
      `/v1/iwsi/evaluations/${encodeURIComponent(id)}/cancel`,
      undefined,
      evaluationSchema,
      signal,
    );
  }

  async evaluationOutputs(id: string, signal?: AbortSignal): Promise<EvaluationOutput[]> {
    const list = await this.getJson(
      `/v1/iwsi/evaluations/${encodeURIComponent(id)}/outputs`,
      outputsSchema,
      signal,
    );
    return list.data;
  }

  async watchEvaluation(
    id: string,
    options: Omit<WatchOptions, 'onJob'> & { onJob?: (job: EvaluationJob) => void } = {},
  ): Promise<EvaluationJob> {
    return this.watch(
      id,
      options,
      (signal) => this.getEvaluation(id, signal),
      'iwsi/evaluations',
      options.onJob,
    );
  }

  /** Create an evaluation, wait for it and return its generated texts in prompt order. */
  async runEvaluation(
    request: EvaluationRequest,
    options: Omit<WatchOptions, 'onJob' | 'after'> & {
      onJob?: (job: EvaluationJob) => void;
    } = {},
  ): Promise<{ job: EvaluationJob; outputs: EvaluationOutput[] }> {
    const created = await this.createEvaluation(request, options.signal);
    const job = await this.watchEvaluation(created.id, options);
    if (job.status !== 'succeeded') {
      throw new TrainerError(
        job.status === 'cancelled' ? 'cancelled' : 'server',
        job.error?.message ?? trainerMessages.evaluationEnded(job.status),
        undefined,
        job.error?.code,
      );
    }
    const outputs = await this.evaluationOutputs(created.id, options.signal);
    return { job, outputs: [...outputs].sort((a, b) => a.index - b.index) };
  }
}
