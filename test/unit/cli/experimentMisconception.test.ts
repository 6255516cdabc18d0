// The toy loop closes: on the embedded misconception model (greedy decoding adds what is given
// away; most samples subtract), iwsi experiment samples, votes, scores, keeps IWSI's set, LoRA
// fine-tunes on it with the real Python reference trainer and evaluates greedily. The fine-tuned
// model must answer far more test questions than the base model, and stop adding on taking-away
// steps. Settings as in `npm run experiment:toy-misconception`, on fewer sets and test questions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentResults } from '../../../src/cli/commands/experimentTable';
import { main } from '../../../src/cli/main';
import { memoryIo } from './fixtures';

const MODEL = resolve('public/models/toy-arith-misconception');
const TEST = 40;

let out: string;
let code: number;
let stderr: string;
let results: ExperimentResults;

/** The evaluation outputs of a row, as the experiment wrote them. */
function outputs(set: string): { output: string; correct: boolean }[] {
  const row = results.rows.find((r) => r.set === set)!;
  const lines = readFileSync(join(out, row.evaluation!.file), 'utf8').split('\n');
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { output: string; correct: boolean });
}

/** Outputs that write at least one subtraction step ("32 - 9 = 23"). */
const subtracting = (texts: string[]): number => texts.filter((t) => / - \d+ = /.test(t)).length;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'iwsi-experiment-misconception-'));
  const io = memoryIo();
  code = await main(
    [
      'experiment',
      '--model',
      MODEL,
      '--mode',
      'clean',
      '--questions',
      '30',
      '--epochs',
      '4',
      '--sets',
      'iwsi',
      '--max-length',
      '160',
      '--eval-mode',
      'clean',
      '--test',
      String(TEST),
      '--out',
      out,
    ],
    io,
  );
  stderr = io.err;
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ExperimentResults;
}, 900_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('iwsi experiment on the misconception model (clean training text)', () => {
  it('raises greedy accuracy well above the base model by training on IWSI’s set', () => {
    expect(stderr).not.toContain('iwsi:');
    expect(code).toBe(0);
    const base = results.rows.find((row) => row.set === 'base')!;
    const iwsi = results.rows.find((row) => row.set === 'iwsi')!;
    expect(iwsi.kept).toBeGreaterThan(0);
    expect(iwsi.training?.status).toBe('succeeded');
    expect(base.evaluation?.total).toBe(TEST);
    // Recorded run (200 test questions): base 27%, IWSI 90%+. Here: at least 25 points more.
    expect(iwsi.evaluation!.accuracy).toBeGreaterThanOrEqual(base.evaluation!.accuracy + 0.25);
  });

  it('stops adding on taking-away steps: the fine-tuned model subtracts where the base adds', () => {
    const baseTexts = outputs('base').map((o) => o.output);
    const iwsiTexts = outputs('iwsi').map((o) => o.output);
    expect(baseTexts).toHaveLength(TEST);
    expect(iwsiTexts).toHaveLength(TEST);
    expect(subtracting(iwsiTexts)).toBeGreaterThan(subtracting(baseTexts) + 10);
  });
});
