// iwsi generate: sample m candidates per question with the few-shot prompt (method §2) and write
// samples.jsonl in the official layout, each candidate cleaned as the official generator does.
// Candidate i of a question is seeded with deriveSeed(deriveSeed(seed, questionId), i), as in
// the playground's runner, so the same recipe gives the same candidates here and in the browser.

import { CoreError } from '../../core/errors';
import { serializeSamplesJsonl } from '../../core/official/files';
import type { OfficialSample } from '../../core/official/files';
import { deriveSeed } from '../../core/rng';
import { getTask } from '../../core/tasks/registry';
import { buildPrompt, cleanTaskCandidate } from '../../core/tasks/task';
import type { TaskDefinition } from '../../core/tasks/task';
import { toyArithSplit } from '../../core/tasks/toyArithData';
import type { ToyArithSplit } from '../../core/tasks/toyArithData';
import type { ExtractionMode } from '../../core/types';
import { rowIds } from '../../data/rowIds';
import { STOP_STRINGS } from '../../pipeline/runner';
import { choiceOption, numberOption, requireString, stringOption } from '../command';
import type { CliContext, CliIo, Command, ParsedArgs } from '../command';
import { inputError, usageError } from '../errors';
import { cliErrorOf, loadModel, MODEL_OPTIONS } from './modelOptions';

export interface QuestionRow {
  id: string;
  question: string;
  groundTruth: string | number;
}

const NAME = 'generate';

export function taskOf(args: ParsedArgs, command: string): TaskDefinition {
  try {
    return getTask(requireString(args, 'task', command));
  } catch (error) {
    if (error instanceof CoreError) throw usageError(`--task: ${error.message}`, command);
    throw error;
  }
}

/** JSONL rows: {question, ground_truth?, id?}, or rows in the task's dataset format. */
export async function readJsonlRows(
  io: CliIo,
  file: string,
): Promise<{ row: Record<string, unknown>; line: number }[]> {
  const rows: { row: Record<string, unknown>; line: number }[] = [];
  const lines = (await io.readText(file)).split('\n');
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw inputError(`${file} line ${index + 1}: is not valid JSON`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw inputError(`${file} line ${index + 1}: must be a JSON object`);
    }
    rows.push({ row: value as Record<string, unknown>, line: index + 1 });
  });
  return rows;
}

/** The question text of a row: the task's dataset format first, else a "question" field. */
export function questionOf(task: TaskDefinition, row: Record<string, unknown>): string | null {
  try {
    return task.formatQuestion(row);
  } catch {
    return typeof row.question === 'string' ? row.question : null;
  }
}

async function questionsFromFile(
  io: CliIo,
  file: string,
  task: TaskDefinition,
): Promise<QuestionRow[]> {
  const rows = await readJsonlRows(io, file);
  // The runner's naming rule, so a question keeps its id (and its seeds) across the CLI and the app.
  const ids = rowIds(rows.map(({ row }, position) => ({ row: position, raw: row })));
  return rows.map(({ row, line }, position) => {
    const question = questionOf(task, row);
    if (question === null) {
      throw inputError(
        `${file} line ${line}: has no question (a "question" field, or the fields of a ${task.id} row)`,
      );
    }
    let groundTruth: string | number = '';
    const given = row.ground_truth;
    if (typeof given === 'string' || typeof given === 'number') groundTruth = given;
    else {
      try {
        groundTruth = task.parseGold(row) ?? '';
      } catch {
        groundTruth = '';
      }
    }
    return { id: ids[position] as string, question, groundTruth };
  });
}

function questionsFromSplit(task: TaskDefinition, split: ToyArithSplit): QuestionRow[] {
  if (task.id !== 'toy-arith') {
    throw usageError(
      `--split is for the built-in toy-arith task; give ${task.id} questions with --questions`,
      NAME,
    );
  }
  return toyArithSplit(split).map((item) => ({
    id: item.id,
    question: item.question,
    groundTruth: String(item.answer),
  }));
}

export const generateCommand: Command = {
  name: NAME,
  summary:
    'Sample m candidates per question with a model and write samples.jsonl (official layout).',
  description: [
    'The prompt is the task\'s few-shot exemplars followed by "Q: <question>\\nA: "; sampling runs at temperature T with no top-k/top-p truncation, stops at the next "Q:", and each candidate is cleaned as the official generator does (cut at "Q:", "A:" removed, the answer sentence normalised). --max-tokens is the budget for prompt plus generation, as in the paper (1024).',
    'Candidates are seeded per question and per candidate, so a run can be split (--offset/--limit) or repeated and gives the same candidates.',
  ],
  options: {
    task: { type: 'string', value: 'TASK', description: 'The task (prompt format and cleaning).' },
    questions: {
      type: 'string',
      value: 'FILE',
      description:
        'JSONL of questions: {"question", "ground_truth"?, "id"?} per line, or rows in the task\'s dataset format.',
    },
    split: {
      type: 'string',
      value: 'NAME',
      description:
        'toy-arith only: a built-in split instead of --questions (train, validation or test).',
    },
    offset: {
      type: 'string',
      value: 'N',
      description: 'Skip the first N questions.',
      default: '0',
    },
    limit: { type: 'string', value: 'N', description: 'Use at most N questions.' },
    ...MODEL_OPTIONS,
    m: { type: 'string', value: 'N', description: 'Candidates per question.', default: '15' },
    temperature: {
      type: 'string',
      value: 'T',
      description: 'Sampling temperature.',
      default: '1.1',
    },
    'max-tokens': {
      type: 'string',
      value: 'N',
      description: 'Tokens for prompt plus generation.',
      default: '1024',
    },
    seed: { type: 'string', value: 'N', description: 'The run seed.', default: '114514' },
    mode: {
      type: 'string',
      value: 'MODE',
      description: "Cleaning and extraction: 'faithful' (the official code) or 'clean'.",
      default: 'faithful',
    },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'Where to write samples.jsonl ("-": stdout).',
    },
  },
  examples: [
    'iwsi generate --task toy-arith --split train --limit 100 --model public/models/toy-arith --out samples.jsonl',
    'iwsi generate --task gsm8k --questions gsm8k-train.jsonl --remote http://127.0.0.1:8000/v1 --model meta-llama/Meta-Llama-3-8B --out samples.jsonl',
  ],
  async run(args, { io }: CliContext) {
    const task = taskOf(args, NAME);
    const out = requireString(args, 'out', NAME);
    const file = stringOption(args, 'questions');
    const split = choiceOption(args, 'split', NAME, ['train', 'validation', 'test'] as const);
    if ((file === undefined) === (split === undefined)) {
      throw usageError(
        'give the questions with --questions FILE or --split NAME (one of them)',
        NAME,
      );
    }
    const m = numberOption(args, 'm', NAME, { min: 1, max: 1000, integer: true }) as number;
    const temperature = numberOption(args, 'temperature', NAME, { min: 0, max: 10 }) as number;
    const maxTokens = numberOption(args, 'max-tokens', NAME, {
      min: 1,
      max: 1_000_000,
      integer: true,
    }) as number;
    const seed = numberOption(args, 'seed', NAME, {
      min: 0,
      max: 2 ** 32 - 1,
      integer: true,
    }) as number;
    const offset = numberOption(args, 'offset', NAME, {
      min: 0,
      max: 1e9,
      integer: true,
    }) as number;
    const limit = numberOption(args, 'limit', NAME, { min: 1, max: 1e9, integer: true });
    const mode = choiceOption(args, 'mode', NAME, ['faithful', 'clean'] as const) as ExtractionMode;

    const all =
      file !== undefined
        ? await questionsFromFile(io, file, task)
        : questionsFromSplit(task, split!);
    const questions = all.slice(offset, limit === undefined ? undefined : offset + limit);
    const { engine, info } = await loadModel(args, NAME, io);
    const rows: OfficialSample[] = [];
    try {
      for (const [q, item] of questions.entries()) {
        const prompt = buildPrompt(task, item.question);
        const promptTokens = (await engine.tokenize(prompt, { addBos: true })).length;
        const limit = Math.min(maxTokens, info.contextLength);
        const budget = limit - promptTokens;
        if (budget < 1) {
          const why = limit < maxTokens ? "the model's context" : 'prompt + generation';
          throw inputError(
            `question "${item.id}": its prompt has ${promptTokens} tokens, over the budget of ${limit} (${why})`,
          );
        }
        const candidates = await engine.sample(prompt, {
          n: m,
          temperature,
          maxTokens: budget,
          stop: STOP_STRINGS,
          seed: deriveSeed(seed, item.id),
        });
        rows.push({
          question: item.question,
          candidates: candidates.map((c) => cleanTaskCandidate(task, item.question, c.text, mode)),
          ground_truth: item.groundTruth,
        });
        io.stderr(`${NAME}: question ${q + 1}/${questions.length} (${m} candidates)\n`);
      }
    } catch (error) {
      throw cliErrorOf(error, 'generation failed');
    } finally {
      await engine.unload();
    }
    await io.writeText(out, serializeSamplesJsonl(rows));
  },
};
