// iwsi generate and iwsi score on the embedded toy model, in-process: the files are in the
// official layout and hold exactly what the engine gives for the same seeds and loss texts.
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { buildLossText } from '../../../src/core/lossText';
import {
  parseNumberList,
  parseNumberMatrix,
  parseSamplesJsonl,
} from '../../../src/core/official/files';
import { deriveSeed } from '../../../src/core/rng';
import { toyArith, toyArithValidationSet } from '../../../src/core/tasks/toyArith';
import { buildPrompt, cleanTaskCandidate } from '../../../src/core/tasks/task';
import { toyArithSplit } from '../../../src/core/tasks/toyArithData';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import type { ModelInfo } from '../../../src/engine/types';
import { memoryIo } from './fixtures';

const MODEL = resolve('public/models/toy-arith');
const model = ['--model', MODEL];
let engine: TransformersEngine;
let info: ModelInfo;

beforeAll(async () => {
  engine = new TransformersEngine();
  info = await engine.load({
    kind: 'transformers',
    modelId: 'toy-arith',
    modelBaseUrl: resolve('public/models'),
  });
});
afterAll(() => engine.unload());

async function run(args: string[], io = memoryIo()) {
  const code = await main(args, io);
  return { code, io };
}

const generate = (extra: string[]) =>
  run([
    'generate',
    '--task',
    'toy-arith',
    '--split',
    'validation',
    '--m',
    '3',
    '--max-tokens',
    '300',
    ...model,
    '--out',
    'samples.jsonl',
    ...extra,
  ]);

describe('iwsi generate', () => {
  it('writes samples.jsonl with the engine’s seeded, cleaned candidates', async () => {
    const { code, io } = await generate(['--limit', '2', '--seed', '7']);
    expect(io.err).not.toContain('iwsi:');
    expect(code).toBe(0);
    const samples = parseSamplesJsonl(io.written.get('samples.jsonl')!);
    const split = toyArithSplit('validation');
    expect(samples.rows.map((r) => r.question)).toEqual([split[0]!.question, split[1]!.question]);
    expect(samples.rows.map((r) => r.ground_truth)).toEqual([
      String(split[0]!.answer),
      String(split[1]!.answer),
    ]);
    for (const [q, row] of samples.rows.entries()) {
      const item = split[q]!;
      const prompt = buildPrompt(toyArith, item.question);
      const promptTokens = (await engine.tokenize(prompt, { addBos: true })).length;
      const direct = await engine.sample(prompt, {
        n: 3,
        temperature: 1.1,
        maxTokens: 300 - promptTokens,
        stop: ['Q:'],
        seed: deriveSeed(7, item.id),
      });
      expect(row.candidates).toEqual(
        direct.map((c) => cleanTaskCandidate(toyArith, item.question, c.text, 'faithful')),
      );
    }
    // A slice of the questions gives the same rows: seeds are per question.
    const second = await generate(['--offset', '1', '--limit', '1', '--seed', '7']);
    expect(parseSamplesJsonl(second.io.written.get('samples.jsonl')!).rows).toEqual([
      samples.rows[1],
    ]);
  });

  it("names questions by the runner's rule: rows sharing an id are named by their row numbers", async () => {
    const question = toyArithSplit('validation')[0]!.question;
    const io = memoryIo();
    io.written.set(
      'questions.jsonl',
      [
        { id: 'dup', question },
        { id: 'dup', question },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const args = ['generate', '--task', 'toy-arith', '--questions', 'questions.jsonl'];
    const options = ['--m', '2', '--max-tokens', '300', '--seed', '7', ...model];
    const { code } = await run([...args, ...options, '--out', 'samples.jsonl'], io);
    expect(io.err).not.toContain('iwsi:');
    expect(code).toBe(0);
    const rows = parseSamplesJsonl(io.written.get('samples.jsonl')!).rows;
    const prompt = buildPrompt(toyArith, question);
    const promptTokens = (await engine.tokenize(prompt, { addBos: true })).length;
    for (const [position, row] of rows.entries()) {
      const direct = await engine.sample(prompt, {
        n: 2,
        temperature: 1.1,
        maxTokens: 300 - promptTokens,
        stop: ['Q:'],
        seed: deriveSeed(7, String(position)),
      });
      expect(row.candidates).toEqual(
        direct.map((c) => cleanTaskCandidate(toyArith, question, c.text, 'faithful')),
      );
    }
  });

  it('reports a bad command line and a missing model with their exit codes', async () => {
    expect(
      (await run(['generate', '--task', 'gsm8k', '--split', 'train', ...model, '--out', 'x'])).code,
    ).toBe(2);
    expect(
      (await run(['generate', '--task', 'toy-arith', '--split', 'test', '--out', 'x'])).code,
    ).toBe(2);
    const missing = await run([
      'generate',
      '--task',
      'toy-arith',
      '--split',
      'test',
      '--limit',
      '1',
      '--model',
      'no/such/model',
      '--out',
      'x',
    ]);
    expect(missing.code).toBe(3);
    expect(missing.io.err).toContain('no/such/model');
  });
});

describe('iwsi score', () => {
  const samplesText = [
    {
      question: 'Tom has 3 apples. He buys 4 more. How many apples does Tom have now?',
      candidates: ['Tom has 3 + 4 = 7 apples. The answer is 7.', 'The answer is 12.'],
      ground_truth: '7',
    },
    {
      question: 'Ann has 9 pens. She gives away 2. How many pens does Ann have?',
      candidates: ['9 - 2 = 7. The answer is 7.'],
      ground_truth: '7',
    },
  ]
    .map((row) => JSON.stringify(row))
    .join('\n');

  it('writes train_loss.json and valid_loss.json from the core’s loss texts', async () => {
    const io = memoryIo();
    io.written.set('samples.jsonl', samplesText);
    const { code } = await run(
      [
        'score',
        '--task',
        'toy-arith',
        '--samples',
        'samples.jsonl',
        '--validation-split',
        'validation',
        ...model,
        '--out-dir',
        'out',
        '--batch',
        '16',
      ],
      io,
    );
    expect(io.err).not.toContain('iwsi:');
    expect(code).toBe(0);
    const train = parseNumberMatrix(
      io.written.get(join('out', 'train_loss.json'))!,
      'train_loss.json',
    );
    const valid = parseNumberList(
      io.written.get(join('out', 'valid_loss.json'))!,
      'valid_loss.json',
    );
    const samples = parseSamplesJsonl(samplesText).rows;
    const expectedTrain = await Promise.all(
      samples.map(async (row) =>
        (
          await engine.score(
            row.candidates.map((c) => buildLossText(row.question, c, 'faithful', info.eosToken)),
          )
        ).map((r) => r.meanNll),
      ),
    );
    train.forEach((losses, q) =>
      losses.forEach((loss, i) => expect(loss).toBeCloseTo(expectedTrain[q]![i]!, 9)),
    );
    const dv = toyArithValidationSet();
    expect(valid).toHaveLength(dv.length);
    const expectedValid = await engine.score(
      dv.map((v) => buildLossText(v.question, v.reference, 'faithful', info.eosToken)),
    );
    valid.forEach((loss, i) => expect(loss).toBeCloseTo(expectedValid[i]!.meanNll, 9));
    expect(train.flat().every((loss) => Number.isFinite(loss) && loss > 0)).toBe(true);
  });

  it('reads D_v from a file and scores the answer only in clean mode', async () => {
    const io = memoryIo();
    io.written.set('samples.jsonl', samplesText);
    io.written.set(
      'dv.jsonl',
      JSON.stringify({
        question: 'Sam has 5 cars. He sells 1. How many cars does Sam have?',
        reference: '5 - 1 = 4. The answer is 4.',
      }),
    );
    const { code } = await run(
      [
        'score',
        '--task',
        'toy-arith',
        '--samples',
        'samples.jsonl',
        '--validation',
        'dv.jsonl',
        '--loss-mode',
        'clean',
        ...model,
        '--out-dir',
        'out',
      ],
      io,
    );
    expect(code).toBe(0);
    const valid = parseNumberList(
      io.written.get(join('out', 'valid_loss.json'))!,
      'valid_loss.json',
    );
    const [expected] = await engine.score([
      buildLossText(
        'Sam has 5 cars. He sells 1. How many cars does Sam have?',
        '5 - 1 = 4. The answer is 4.',
        'clean',
        info.eosToken,
      ),
    ]);
    expect(valid).toHaveLength(1);
    expect(valid[0]).toBeCloseTo(expected!.meanNll, 9);
  });
});
