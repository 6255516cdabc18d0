// What the cells say when the trainer fails: refusals worded by what was being done, the
// connection problems left as the client words them, outages reported while a job is followed,
// and a loss curve that stays in step order when a resumed job repeats steps.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  explainFailure,
  lossCurve,
  TrainerClient,
  TrainerError,
  trainerMessages,
} from '../../../src/trainer';
import type { JobEvent } from '../../../src/trainer';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('explainFailure', () => {
  it('words a refused upload or job by what was being sent', () => {
    const invalid = new TrainerError('bad-request', 'line 2: bad', 400, 'invalid_file', 'file');
    const upload = explainFailure(invalid, 'upload', { fileName: 'mine.jsonl' });
    expect(upload.kind).toBe('bad-request');
    expect(upload.message).toBe(
      'The trainer refused the training file mine.jsonl: line 2: bad. Nothing was trained; the run and its kept set in this browser are unchanged.',
    );
    const chat = new TrainerError(
      'bad-request',
      'no template.',
      400,
      'no_chat_template',
      'training_file',
    );
    expect(explainFailure(chat, 'create', { fileName: 'chat.jsonl' }).message).toContain(
      'The trainer refused the training file chat.jsonl: no template.',
    );
    const lr = new TrainerError(
      'bad-request',
      'lr too big',
      400,
      'invalid_value',
      'iwsi.learning_rate',
    );
    expect(explainFailure(lr, 'create').message).toMatch(
      /^The trainer refused the job: lr too big\./,
    );
  });

  it('keeps connection problems in the words of the client', () => {
    const cors = new TrainerError('cors', trainerMessages.cors('http://t:1', 'http://app:2'));
    for (const phase of ['connect', 'upload', 'create', 'watch'] as const) {
      expect(explainFailure(cors, phase)).toEqual({ kind: 'cors', message: cors.message });
    }
    expect(cors.message).toContain('is running but refuses requests from');
    expect(cors.message).toContain('--allow-origin http://app:2');
    const unauthorized = trainerMessages.unauthorized('http://t:1', 'The bearer token is wrong.');
    expect(unauthorized).toMatch(/^The trainer at http:\/\/t:1 refused the token: The bearer/);
    expect(unauthorized).not.toContain('..');
  });

  it('says a cancel failed and the job may still run', () => {
    const down = new TrainerError('unreachable', 'Cannot reach the trainer.');
    const explained = explainFailure(down, 'cancel', { jobId: 'ftjob-9' });
    expect(explained.kind).toBe('unreachable');
    expect(explained.message).toMatch(/^Could not cancel job ftjob-9: Cannot reach the trainer\./);
    expect(explained.message).toContain('may still be running');
  });

  it('words an outage by the kind of silence, without the first-contact hints', () => {
    const down = new TrainerError(
      'unreachable',
      trainerMessages.unreachable('http://t:1', 'Failed to fetch', false, 'http://app:2'),
    );
    expect(down.message).toContain('--allow-origin http://app:2');
    const lost = trainerMessages.connectionLost('http://t:1', 'ftjob-3', down);
    expect(lost).toMatch(
      /^Lost the connection to the trainer at http:\/\/t:1 while following job ftjob-3: nothing answers/,
    );
    expect(lost).not.toContain('--allow-origin');
    const busy = new TrainerError('server', 'The trainer is out of memory', 500);
    expect(trainerMessages.connectionLost('http://t:1', 'ftjob-3', busy)).toContain(
      'ftjob-3: The trainer is out of memory. The job is kept',
    );
  });

  it('passes other errors through', () => {
    expect(explainFailure(new Error('disk full'), 'watch')).toEqual({
      kind: 'other',
      message: 'disk full',
    });
  });
});

describe('lossCurve', () => {
  const metrics = (id: number, step: number, loss: number): JobEvent => ({
    object: 'fine_tuning.job.event',
    id: `ftevent-${id}`,
    created_at: id,
    level: 'info',
    message: `Step ${step}`,
    type: 'metrics',
    data: { step, train_loss: loss },
  });

  it('keeps the later report of a step repeated after a resume', () => {
    const events = [metrics(1, 1, 3), metrics(2, 2, 2.5), metrics(3, 3, 2.4), metrics(4, 2, 2.6)];
    expect(lossCurve(events)).toEqual([
      { step: 1, loss: 3 },
      { step: 2, loss: 2.6 },
      { step: 3, loss: 2.4 },
    ]);
  });
});

describe('watching through an outage', () => {
  it('reports each failed poll, then the return of the trainer', async () => {
    let polls = 0;
    const server = createServer((req, res) => {
      const body = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url?.includes('/events'))
        return body(200, { object: 'list', data: [], has_more: false });
      polls += 1;
      if (polls === 2 || polls === 3) {
        return body(503, { error: { message: 'restarting', type: 'server_error', code: 'x' } });
      }
      body(200, {
        object: 'fine_tuning.job',
        id: 'ftjob-1',
        created_at: 1,
        finished_at: null,
        model: 'toy',
        status: polls >= 5 ? 'succeeded' : 'running',
        fine_tuned_model: null,
        training_file: 'file-1',
        result_files: [],
        trained_tokens: null,
        seed: 1,
        error: null,
        method: { type: 'supervised' },
        iwsi: { fine_tuned_model_name: 'ft', progress: {}, artifacts: [], settings: {} },
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const client = new TrainerClient({ baseUrl: `http://127.0.0.1:${port}`, token: 't' });
    const seen: (string | null)[] = [];
    const job = await client.watchJob('ftjob-1', {
      intervalMs: 5,
      onOutage: (error) => seen.push(error === null ? null : error.kind),
    });
    expect(job.status).toBe('succeeded');
    expect(seen).toEqual(['server', 'server', null]);
  });
});
