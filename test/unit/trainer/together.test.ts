// The Together AI adapter against a local HTTP server that implements Together's documented
// fine-tuning endpoints and records every request (test/support/togetherServer.ts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultRecipe } from '../../../src/core/notebook';
import {
  spinJobRequest,
  supervisedJobRequest,
  TogetherClient,
  togetherModelFor,
  TrainerError,
} from '../../../src/trainer';
import type { FineTuningJob, JobEvent } from '../../../src/trainer';
import {
  FakeTogether,
  TOGETHER_TEST_KEY as KEY,
  togetherEvent as event,
} from '../../support/togetherServer';

const standIn = new FakeTogether();
const requests = standIn.requests;
const jobs = standIn.jobs;
let baseUrl = '';

beforeAll(async () => {
  baseUrl = (await standIn.start()).baseUrl;
});

afterAll(async () => {
  await standIn.stop();
});

beforeEach(() => {
  standIn.reset();
});

const ROWS = [
  { prompt: 'Q: 2+3?\nA:', completion: ' 5', weight: 1 },
  { prompt: 'Q: 4+4?\nA:', completion: ' 8', weight: 1 },
];
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function client(apiKey = KEY) {
  return new TogetherClient({ baseUrl: `${baseUrl}/v1`, apiKey });
}

/** A LoRA job on the default recipe's settings, as most cases need one. */
function createSupervisedJob(together: TogetherClient): Promise<FineTuningJob> {
  return together.createJob(
    supervisedJobRequest({
      model: 'meta-llama/Meta-Llama-3-8B',
      trainingFileId: 'file-7d0f',
      settings: defaultRecipe().trainer,
      lossMode: 'clean',
    }),
  );
}

describe('TogetherClient', () => {
  it("uploads and creates a LoRA job with the paper's defaults in exactly Together's fields", async () => {
    const recipe = defaultRecipe();
    const together = client();
    const file = await together.uploadFile(jsonl(ROWS), 'kept.jsonl');
    expect(file.id).toBe('file-7d0f');
    const upload = requests.find((r) => r.path === '/v1/files/upload');
    expect(upload?.auth).toBe(`Bearer ${KEY}`);
    expect(Object.keys(upload?.form ?? {}).sort()).toEqual([
      'file',
      'file_name',
      'file_type',
      'purpose',
    ]);
    expect(upload?.form).toMatchObject({
      purpose: 'fine-tune',
      file_name: 'kept.jsonl',
      file_type: 'jsonl',
    });
    // Rows go up without their weight field (all weights were 1).
    expect(
      upload?.form?.['file']
        ?.trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(ROWS.map(({ prompt, completion }) => ({ prompt, completion })));

    const job = await together.createJob(
      supervisedJobRequest({
        model: 'meta-llama/Meta-Llama-3-8B',
        trainingFileId: file.id,
        settings: recipe.trainer,
        lossMode: recipe.lossMode,
        recipe,
      }),
    );
    const create = requests.find((r) => r.method === 'POST' && r.path === '/v1/fine-tunes');
    expect(create?.json).toEqual({
      model: 'meta-llama/Meta-Llama-3-8B',
      training_file: 'file-7d0f',
      n_epochs: 4,
      batch_size: 4,
      learning_rate: 3e-4,
      lr_scheduler: {
        lr_scheduler_type: 'cosine',
        lr_scheduler_args: { min_lr_ratio: 0, num_cycles: 0.5 },
      },
      warmup_ratio: 0,
      training_method: { method: 'sft', train_on_inputs: recipe.lossMode === 'faithful' },
      training_type: {
        type: 'Lora',
        lora_r: 64,
        lora_alpha: 16,
        lora_dropout: 0.05,
        lora_trainable_modules: 'q_proj,v_proj,down_proj,gate_proj,up_proj',
      },
    });
    expect(job).toMatchObject({ id: 'ft-1', status: 'queued', fine_tuned_model: null });
    // What Together has no field for is said in the job's notes.
    const notes = job.iwsi.settings['notes'] as string[];
    expect(notes.some((n) => n.includes('batch 1 × accumulation 4'))).toBe(true);
    expect(notes.some((n) => n.startsWith('Seed 114514: not sent'))).toBe(true);
    expect(notes.some((n) => n.startsWith('Max length 400: not sent'))).toBe(true);
  });

  it('refuses weighted rows before anything is uploaded', async () => {
    const weighted = [ROWS[0], { ...ROWS[1], weight: 0.42 }] as object[];
    const error = await client()
      .uploadFile(jsonl(weighted), 'kept.jsonl')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).message).toMatch(/no per-row weights/);
    expect(requests).toHaveLength(0);
  });

  it('sends SPIN pairs as DPO in Together’s preference layout', async () => {
    const recipe = defaultRecipe();
    const together = client();
    await together.uploadFile(
      jsonl([{ prompt: 'Q: 1+1?\nA:', chosen: ' 2', rejected: ' 3' }]),
      'pairs.jsonl',
    );
    const sent = requests[0]?.form?.['file']?.trim() ?? '';
    expect(JSON.parse(sent)).toEqual({
      input: { messages: [{ role: 'user', content: 'Q: 1+1?\nA:' }] },
      preferred_output: [{ role: 'assistant', content: ' 2' }],
      non_preferred_output: [{ role: 'assistant', content: ' 3' }],
    });
    await together.createJob(
      spinJobRequest({
        model: 'meta-llama/Meta-Llama-3-8B-Instruct',
        trainingFileId: 'file-7d0f',
        settings: recipe.trainer,
        lossMode: recipe.lossMode,
      }),
    );
    const body = requests.find((r) => r.path === '/v1/fine-tunes')?.json as Record<string, unknown>;
    expect(body['training_method']).toEqual({ method: 'dpo', dpo_beta: recipe.trainer.spin.beta });
  });

  it('maps status and events to our progress, and follows a job to its end', async () => {
    const together = client();
    const created = await createSupervisedJob(together);
    const fake = jobs.get(created.id);
    if (!fake) throw new Error('job not stored');
    fake.reply['status'] = 'running';
    fake.reply['progress'] = { estimate_available: true, seconds_remaining: 90 };
    fake.reply['epochs_completed'] = 1;
    fake.events.push(event('training_start', 'Training started'));
    fake.events.push(event('checkpoint_save', 'Checkpoint saved', { step: 12, total_steps: 48 }));
    const running = await together.getJob(created.id);
    expect(running.status).toBe('running');
    expect(running.iwsi.progress).toEqual({ step: 12, total_steps: 48, epoch: 1, eta_seconds: 90 });

    const seen: JobEvent[] = [];
    const statuses: string[] = [];
    let polls = 0;
    const finished = await together.watchJob(created.id, {
      intervalMs: 5,
      after: `${created.id}:0`,
      onEvent: (e) => seen.push(e),
      onJob: (job) => {
        statuses.push(job.status);
        polls += 1;
        if (polls === 2) {
          fake.reply['status'] = 'completed';
          fake.reply['updated_at'] = '2026-11-21T10:05:00.000Z';
          fake.events.push(event('job_complete', 'Job finished', { step: 48, total_steps: 48 }));
        }
      },
    });
    expect(seen.map((e) => e.message)).toEqual([
      'Training started',
      'Checkpoint saved',
      'Job finished',
    ]);
    expect(seen.map((e) => e.id)).toEqual([
      `${created.id}:1`,
      `${created.id}:2`,
      `${created.id}:3`,
    ]);
    expect(statuses.at(-1)).toBe('succeeded');
    expect(finished).toMatchObject({
      status: 'succeeded',
      fine_tuned_model: `acct/Meta-Llama-3-8B-${created.id}`,
      finished_at: Date.parse('2026-11-21T10:05:00.000Z') / 1000,
    });
    expect(finished.iwsi.progress.step).toBe(48);
  });

  it('cancels a job, and a failed job carries its error event', async () => {
    const together = client();
    const created = await createSupervisedJob(together);
    const cancelling = await together.cancelJob(created.id);
    expect(requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/v1/fine-tunes/${created.id}/cancel`,
    });
    expect(cancelling.status).toBe('running'); // cancel_requested: not over yet
    const fake = jobs.get(created.id);
    if (!fake) throw new Error('job not stored');
    fake.reply['status'] = 'cancelled';
    expect((await together.getJob(created.id)).status).toBe('cancelled');

    fake.reply['status'] = 'error';
    fake.events.push(
      event('job_error', 'Training file has 3 rows; at least 10 are needed', { level: 'error' }),
    );
    const failed = await together.getJob(created.id);
    expect(failed.status).toBe('failed');
    expect(failed.error?.message).toBe('Training file has 3 rows; at least 10 are needed');
  });

  it('says when the key is refused and when a reply is not what Together documents', async () => {
    const refused = await client('wrong-key')
      .checkEndpoint()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TrainerError);
    expect((refused as TrainerError).kind).toBe('unauthorized');
    expect((refused as TrainerError).message).toMatch(
      /Together AI at .* refused the API key: Invalid API key provided\./,
    );
    expect((refused as TrainerError).message).not.toContain('wrong-key');

    const check = await client().checkEndpoint();
    expect(check.version.capabilities.evaluation).toBe(false);
    expect(check.version.capabilities.models.map((m) => m.id)).toContain(
      'meta-llama/Meta-Llama-3-8B',
    );

    standIn.rawReply = '<html>gateway</html>';
    const notJson = await client()
      .getJob('ft-1')
      .catch((e: unknown) => e);
    expect((notJson as TrainerError).kind).toBe('malformed-reply');
    expect((notJson as TrainerError).message).toContain('<html>gateway</html>');

    standIn.rawReply = JSON.stringify({ id: 'ft-1', status: 'exploded' });
    const badShape = await client()
      .cancelJob('ft-1')
      .catch((e: unknown) => e);
    expect((badShape as TrainerError).kind).toBe('malformed-reply');
    expect((badShape as TrainerError).message).toMatch(/status/);
  });

  it('names Together models for the notebook’s Llama-3-8B engine models', () => {
    expect(togetherModelFor('Llama-3-8B-Instruct-q4f16_1-MLC')).toBe(
      'meta-llama/Meta-Llama-3-8B-Instruct',
    );
    expect(togetherModelFor('Llama-3.1-8B-Instruct-q4f32_1-MLC')).toBe(
      'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
    );
    expect(togetherModelFor('meta-llama/Meta-Llama-3-8B')).toBe('meta-llama/Meta-Llama-3-8B');
    expect(togetherModelFor('toy-arith')).toBeNull();
  });
});
