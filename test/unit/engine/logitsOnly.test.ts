// Scoring passes that fetch the logits alone: the same logits as the model's own forward pass on
// the embedded model, no run for sessions with inputs it cannot fill, and one session run at a
// time in call order.
import { resolve } from 'node:path';
import { AutoModelForCausalLM, env, Tensor, type PreTrainedModel } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Exclusive, logitsOnlyRun } from '../../../src/engine/backends/logitsOnly';

let model: PreTrainedModel;

beforeAll(async () => {
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = resolve('public/models');
  model = await AutoModelForCausalLM.from_pretrained('toy-arith', { dtype: 'fp32' });
});
afterAll(async () => {
  await model?.dispose();
});

function int64(rows: number[][]): Tensor {
  return new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [
    rows.length,
    rows[0]!.length,
  ]);
}

describe('logitsOnlyRun', () => {
  it('gives the logits of the full forward pass, for a right-padded batch', async () => {
    const inputs = {
      input_ids: int64([
        [1, 40, 41, 42, 43],
        [1, 50, 51, 3, 3],
      ]),
      attention_mask: int64([
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
      ]),
      position_ids: int64([
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4],
      ]),
    };
    const run = logitsOnlyRun(model, inputs);
    expect(run).not.toBeNull();
    const logits = await run!();
    const reference = (await model.forward(inputs)) as { logits: Tensor };
    expect(logits.dims).toEqual([2, 5, 680]);
    expect(Array.from(logits.data as Float32Array)).toEqual(
      Array.from(reference.logits.data as Float32Array),
    );
  });

  it('declines sessions with inputs it does not know how to fill', () => {
    const session = {
      inputNames: ['input_ids', 'use_cache_branch'],
      inputMetadata: [
        { name: 'input_ids', type: 'int64', shape: ['batch_size', 'sequence_length'] },
        { name: 'use_cache_branch', type: 'bool', shape: [1] },
      ],
      run: () => Promise.reject(new Error('must not run')),
    };
    const fake = { sessions: { model: session } } as unknown as PreTrainedModel;
    expect(logitsOnlyRun(fake, { input_ids: int64([[1, 2]]) })).toBeNull();
  });
});

describe('Exclusive', () => {
  it('runs one job at a time, in call order, past a failing one', async () => {
    const exclusive = new Exclusive();
    const events: string[] = [];
    const job =
      (name: string, ms: number, fail = false) =>
      async () => {
        events.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      exclusive.run(job('a', 20)),
      exclusive.run(job('b', 5, true)),
      exclusive.run(job('c', 1)),
    ]);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
