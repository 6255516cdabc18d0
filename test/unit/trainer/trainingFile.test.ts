// The pre-upload check of training files: each kind of mistake refused at its line, the method's
// format enforced, and every verdict equal to the reference trainer's own check on upload
// (trainer/datafiles.py, run on the same bytes).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkTrainingFile, TrainingFileError } from '../../../src/trainer';
import type { TrainingMethod } from '../../../src/trainer';
import { PYTHON, REPO_ROOT } from './pythonTrainer';

const row = (value: unknown) => JSON.stringify(value);
const pc = (i: number, extra: Record<string, unknown> = {}) =>
  row({ prompt: `Q: ${i} + 1?\nA: </s>`, completion: `${i + 1}.`, ...extra });

/** Files with what the check must say about them (null: accepted). */
const CASES: { name: string; text: string; method: TrainingMethod; error: string | null }[] = [
  {
    name: 'exported rows',
    text: [pc(1), pc(2, { weight: 0.5 })].join('\n'),
    method: 'supervised',
    error: null,
  },
  {
    name: 'blank lines and CRLF',
    text: `\n${pc(1)}\r\n\r\n${pc(2)}\n`,
    method: 'supervised',
    error: null,
  },
  {
    name: 'a number for a text',
    text: [pc(1), pc(2), row({ prompt: 'Q', completion: 3 })].join('\n'),
    method: 'supervised',
    error: 'line 3: field "completion" must be a text, got a number',
  },
  {
    name: 'a cut line',
    text: [pc(1), pc(2).slice(0, 20)].join('\n'),
    method: 'supervised',
    error: 'line 2: not valid JSON',
  },
  {
    name: 'a list for a row',
    text: [pc(1), '[1, 2]'].join('\n'),
    method: 'supervised',
    error: 'line 2: each line must be a JSON object, got a list',
  },
  {
    name: 'a negative weight',
    text: [pc(1, { weight: -2 })].join('\n'),
    method: 'supervised',
    error: 'line 1: field "weight" must be at least 0, got -2',
  },
  {
    name: 'a text weight',
    text: [pc(1), pc(2, { weight: 'high' })].join('\n'),
    method: 'supervised',
    error: 'line 2: field "weight" must be a number, got a text',
  },
  {
    name: 'unknown fields',
    text: [row({ question: 'Q', answer: 'A' })].join('\n'),
    method: 'supervised',
    error:
      'line 1: not a known row format: expected prompt/completion, text, messages, instruction/input/output, prompt/chosen/rejected or OpenAI preference fields; found fields: answer, question',
  },
  {
    name: 'mixed formats',
    text: [pc(1), row({ text: 'plain' })].join('\n'),
    method: 'supervised',
    error: 'line 2: text rows mixed with prompt/completion rows (line 1); a file holds one format',
  },
  {
    name: 'chat rows ending with the user',
    text: row({ messages: [{ role: 'user', content: 'hi' }] }),
    method: 'supervised',
    error: 'line 1: the last of "messages" must be the assistant\'s reply',
  },
  {
    name: 'an unknown role',
    text: row({ messages: [{ role: 'bot', content: 'hi' }] }),
    method: 'supervised',
    error: 'line 1: "messages[0].role" must be "system", "user" or "assistant", got "bot"',
  },
  {
    name: 'chat rows',
    text: row({
      messages: [
        { role: 'user', content: 'Q' },
        { role: 'assistant', content: 'A', weight: 0 },
      ],
    }),
    method: 'supervised',
    error: null,
  },
  {
    name: 'Alpaca with a number input',
    text: row({ instruction: 'Q', input: 4, output: 'A' }),
    method: 'supervised',
    error: 'line 1: field "input" must be a text, got a number',
  },
  {
    name: 'preference pairs',
    text: row({ prompt: 'p', chosen: 'c', rejected: 'r' }),
    method: 'dpo',
    error: null,
  },
  {
    name: 'a preference pair without rejected text',
    text: row({ prompt: 'p', chosen: 'c', rejected: null }),
    method: 'dpo',
    error: 'line 1: field "rejected" must be a text, got null',
  },
  { name: 'no rows', text: '\n\n', method: 'supervised', error: 'the file has no rows' },
];

function verdict(text: string, method: TrainingMethod): string | null {
  try {
    checkTrainingFile(text, method);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingFileError);
    return (error as Error).message;
  }
}

describe('checkTrainingFile', () => {
  it.each(CASES)('$name', ({ text, method, error }) => {
    const got = verdict(text, method);
    if (error === null) expect(got).toBeNull();
    else expect(got).toMatch(new RegExp(`^${error.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('describes an accepted file', () => {
    expect(checkTrainingFile([pc(1), pc(2, { weight: 0 }), ''].join('\n'), 'supervised')).toEqual({
      format: 'prompt-completion',
      rows: 2,
      kind: 'supervised',
      weighted: true,
      zeroWeightRows: 1,
    });
  });

  it("refuses rows of the other method's kind", () => {
    const pairs = row({ prompt: 'p', chosen: 'c', rejected: 'r' });
    expect(verdict(pairs, 'supervised')).toBe(
      "the file holds prompt/chosen/rejected pairs; method 'supervised' needs prompt/completion rows",
    );
    expect(verdict(pc(1), 'dpo')).toBe(
      "the file holds prompt/completion rows; method 'dpo' needs prompt/chosen/rejected pairs",
    );
  });

  it('names the line of bytes that are not UTF-8', () => {
    const good = new TextEncoder().encode(`${pc(1)}\n${pc(2)}\n`);
    const bytes = new Uint8Array([...good, 0xff, 0xfe, 0x0a]);
    expect(() => checkTrainingFile(bytes, 'supervised')).toThrow(
      'line 3: the file is not UTF-8 text',
    );
    expect(checkTrainingFile(good, 'supervised').rows).toBe(2);
  });

  it("gives the reference trainer's verdict on every file", () => {
    // Python parses each file as the trainer does on upload and prints its verdict.
    const script = [
      'import json, sys',
      'from trainer.datafiles import parse_jsonl',
      'from trainer.errors import ApiError',
      'out = []',
      'for text in json.load(sys.stdin):',
      '    try:',
      '        fmt, rows = parse_jsonl(text.encode("utf-8"))',
      '        out.append({"format": fmt, "rows": len(rows)})',
      '    except ApiError as err:',
      '        out.append({"error": err.message})',
      'print(json.dumps(out))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script], {
      cwd: REPO_ROOT,
      input: JSON.stringify(CASES.map((c) => c.text)),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const python = JSON.parse(run.stdout) as (
      { format: string; rows: number } | { error: string }
    )[];
    CASES.forEach((c, i) => {
      const theirs = python[i]!;
      let ours: { format: string; rows: number } | { error: string };
      try {
        // The trainer checks the method when the job is created; compare the upload check.
        const summary = checkTrainingFile(c.text, c.method);
        ours = { format: summary.format, rows: summary.rows };
      } catch (error) {
        ours = { error: (error as Error).message };
      }
      if ('error' in theirs && theirs.error.includes('not valid JSON')) {
        // JSON parsers word their complaints differently; the line must agree.
        expect('error' in ours && ours.error.split('(')[0]).toBe(theirs.error.split('(')[0]);
      } else {
        expect({ case: c.name, ...ours }).toEqual({ case: c.name, ...theirs });
      }
    });
  });
});
