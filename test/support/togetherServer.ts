// A local HTTP server implementing Together AI's documented fine-tuning endpoints, recording
// every request (it stands in for the hosted service only). Jobs stay where they are created
// ("pending") until a test moves them on through `jobs`. With `allowOrigin` it answers a
// cross-origin-isolated page the way the browser needs: CORS for that origin (preflight
// included) and a Cross-Origin-Resource-Policy that lets the page read it.
import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  auth: string | undefined;
  json?: unknown;
  form?: Record<string, string>;
}

export interface FakeTogetherJob {
  reply: Record<string, unknown>;
  events: Record<string, unknown>[];
}

/** The API key the stand-in accepts. */
export const TOGETHER_TEST_KEY = 'tg-test-key';

/** One of Together's fine-tune events, with every field its reply documents. */
export function togetherEvent(type: string, message: string, extra: Record<string, unknown> = {}) {
  return {
    object: 'fine-tune-event',
    created_at: '2026-11-21T10:00:00.000Z',
    type,
    message,
    level: 'info',
    step: 0,
    total_steps: 0,
    checkpoint_path: '',
    model_path: '',
    hash: '',
    param_count: 0,
    token_count: 0,
    training_offset: 0,
    wandb_url: '',
    ...extra,
  };
}

export class FakeTogether {
  readonly requests: RecordedRequest[] = [];
  readonly jobs = new Map<string, FakeTogetherJob>();
  /** When set, the next reply is this raw text with status 200 (a malformed reply). */
  rawReply: string | null = null;
  /** http://127.0.0.1:PORT once started. */
  baseUrl = '';
  private server: Server | null = null;

  constructor(private readonly options: { allowOrigin?: string } = {}) {}

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = null;
  }

  reset(): void {
    this.requests.length = 0;
    this.jobs.clear();
    this.rawReply = null;
  }

  /** The stored job, or an error naming it. */
  job(id: string): FakeTogetherJob {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id} on the stand-in`);
    return job;
  }

  private crossOrigin(req: IncomingMessage): OutgoingHttpHeaders {
    const allowed = this.options.allowOrigin;
    if (allowed === undefined || req.headers.origin !== allowed) return {};
    return {
      'Access-Control-Allow-Origin': allowed,
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      Vary: 'Origin',
    };
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...this.crossOrigin(req) });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') {
      // A preflight: answered for the allowed origin only, and not recorded as a call.
      res.writeHead(204, this.crossOrigin(req));
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '';
    const record: RecordedRequest = {
      method: req.method ?? '',
      path,
      auth: req.headers.authorization,
    };
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) record.json = JSON.parse(body.toString('utf8'));
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://local/', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }).formData();
      record.form = {};
      for (const [name, value] of form) {
        record.form[name] = typeof value === 'string' ? value : await value.text();
      }
    }
    this.requests.push(record);
    const send = (status: number, reply: unknown) => this.send(req, res, status, reply);
    if (req.headers.authorization !== `Bearer ${TOGETHER_TEST_KEY}`) {
      send(401, { error: { message: 'Invalid API key provided', type: 'invalid_request_error' } });
      return;
    }
    if (this.rawReply !== null) {
      res.writeHead(200, { 'Content-Type': 'text/html', ...this.crossOrigin(req) });
      res.end(this.rawReply);
      this.rawReply = null;
      return;
    }
    const jobMatch = /^\/v1\/fine-tunes\/([^/]+)(\/events|\/cancel)?$/.exec(path);
    if (req.method === 'GET' && path === '/v1/fine-tunes') {
      send(200, { data: [...this.jobs.values()].map((j) => j.reply) });
    } else if (req.method === 'POST' && path === '/v1/files/upload') {
      send(200, {
        id: 'file-7d0f',
        object: 'file',
        created_at: 1_763_719_200,
        filename: record.form?.['file_name'] ?? '',
        bytes: record.form?.['file']?.length ?? 0,
        purpose: 'fine-tune',
        Processed: true,
        FileType: 'jsonl',
        LineCount: 2,
      });
    } else if (req.method === 'POST' && path === '/v1/fine-tunes') {
      const request = record.json as Record<string, unknown>;
      const id = `ft-${this.jobs.size + 1}`;
      const reply = {
        id,
        status: 'pending',
        created_at: '2026-11-21T10:00:00.000Z',
        updated_at: '2026-11-21T10:00:00.000Z',
        model: request['model'],
        training_file: request['training_file'],
        n_epochs: request['n_epochs'],
        training_method: request['training_method'],
        training_type: request['training_type'],
        model_output_name: `acct/${String(request['model']).split('/').pop()}-${id}`,
      };
      this.jobs.set(id, {
        reply,
        events: [togetherEvent('job_pending', 'Fine tune request created')],
      });
      send(200, reply);
    } else if (jobMatch) {
      const job = this.jobs.get(jobMatch[1] ?? '');
      if (!job) {
        send(404, { error: { message: 'fine-tune not found' } });
      } else if (jobMatch[2] === '/events') {
        send(200, { data: job.events });
      } else if (jobMatch[2] === '/cancel' && req.method === 'POST') {
        job.reply['status'] = 'cancel_requested';
        job.events.push(togetherEvent('cancel_requested', 'Cancel requested'));
        send(200, job.reply);
      } else {
        send(200, job.reply);
      }
    } else {
      send(404, { error: { message: `no route ${req.method} ${path}` } });
    }
  }
}
