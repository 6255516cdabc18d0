// The check a training file gets before it is uploaded: the same rules, in the same order and
// with the same line-numbered messages, as the reference trainer's own check on upload
// (trainer/datafiles.py), plus whether the rows suit the job's method. A file the user edited
// by hand is refused here, at the line that is wrong, before a byte leaves the browser.

import { TrainerError } from './errors';

export const TRAINING_FILE_FORMATS = [
  'prompt-completion',
  'text',
  'messages',
  'alpaca',
  'preference',
  'openai-preference',
] as const;
export type TrainingFileFormat = (typeof TRAINING_FILE_FORMATS)[number];

/** The method of the job a file is meant for: supervised (IWSI, LMSI…) or dpo (SPIN). */
export type TrainingMethod = 'supervised' | 'dpo';

const PREFERENCE_FORMATS: readonly TrainingFileFormat[] = ['preference', 'openai-preference'];

export const TRAINING_FORMAT_NAMES: Record<TrainingFileFormat, string> = {
  'prompt-completion': 'prompt/completion rows',
  text: 'text rows',
  messages: 'chat messages rows',
  alpaca: 'Alpaca instruction rows',
  preference: 'prompt/chosen/rejected pairs',
  'openai-preference': 'OpenAI preference pairs',
};

export interface TrainingFileSummary {
  format: TrainingFileFormat;
  rows: number;
  kind: 'supervised' | 'preference';
  /** Some row has a weight other than 1. */
  weighted: boolean;
  zeroWeightRows: number;
}

/** A file refused by the check; `line` is 1-based, null for the file as a whole. */
export class TrainingFileError extends TrainerError {
  constructor(
    readonly detail: string,
    readonly line: number | null,
  ) {
    super(
      'bad-request',
      line === null ? detail : `line ${line}: ${detail}`,
      undefined,
      'invalid_file',
      'file',
    );
  }
}

type Row = Record<string, unknown>;

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'true/false';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'string') return 'a text';
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

function has(row: Row, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(row, key);
}

function text(row: Row, key: string, line: number): string {
  const value = row[key];
  if (typeof value !== 'string') {
    throw new TrainingFileError(`field "${key}" must be a text, got ${typeName(value)}`, line);
  }
  return value;
}

function weight(value: unknown, line: number, where = 'weight'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TrainingFileError(`field "${where}" must be a number, got ${typeName(value)}`, line);
  }
  if (value < 0) {
    throw new TrainingFileError(`field "${where}" must be at least 0, got ${value}`, line);
  }
  return value;
}

function messages(
  value: unknown,
  line: number,
  where: string,
): { role: string; weight?: number }[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TrainingFileError(`field "${where}" must be a non-empty list of messages`, line);
  }
  return value.map((message: unknown, i) => {
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new TrainingFileError(
        `"${where}[${i}]" must be an object with "role" and "content"`,
        line,
      );
    }
    const m = message as Row;
    const role = m['role'];
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new TrainingFileError(
        `"${where}[${i}].role" must be "system", "user" or "assistant", got ${JSON.stringify(role ?? null)}`,
        line,
      );
    }
    if (typeof m['content'] !== 'string') {
      throw new TrainingFileError(
        `"${where}[${i}].content" must be a text, got ${typeName(m['content'])}`,
        line,
      );
    }
    const out: { role: string; weight?: number } = { role };
    if (has(m, 'weight')) out.weight = weight(m['weight'], line, `${where}[${i}].weight`);
    return out;
  });
}

function detectFormat(row: Row, line: number): TrainingFileFormat {
  if (has(row, 'chosen') || has(row, 'rejected')) return 'preference';
  if (has(row, 'preferred_output') || has(row, 'non_preferred_output')) return 'openai-preference';
  if (has(row, 'messages')) return 'messages';
  if (has(row, 'completion') || has(row, 'prompt')) return 'prompt-completion';
  if (has(row, 'instruction') || has(row, 'output')) return 'alpaca';
  if (has(row, 'text')) return 'text';
  const keys = Object.keys(row).sort().join(', ') || 'none';
  throw new TrainingFileError(
    'not a known row format: expected prompt/completion, text, messages, ' +
      'instruction/input/output, prompt/chosen/rejected or OpenAI preference fields; ' +
      `found fields: ${keys}`,
    line,
  );
}

/** Checks one row of a known format; returns its weight. */
function checkRow(row: Row, format: TrainingFileFormat, line: number): number {
  let rowWeight = has(row, 'weight') ? weight(row['weight'], line) : 1;
  switch (format) {
    case 'prompt-completion':
      text(row, 'prompt', line);
      text(row, 'completion', line);
      break;
    case 'text':
      text(row, 'text', line);
      break;
    case 'messages': {
      const list = messages(row['messages'], line, 'messages');
      const last = list[list.length - 1];
      if (last?.role !== 'assistant') {
        throw new TrainingFileError('the last of "messages" must be the assistant\'s reply', line);
      }
      if (!has(row, 'weight') && last.weight !== undefined) rowWeight = last.weight;
      break;
    }
    case 'alpaca': {
      text(row, 'instruction', line);
      const extra = has(row, 'input') ? row['input'] : '';
      if (typeof extra !== 'string') {
        throw new TrainingFileError(`field "input" must be a text, got ${typeName(extra)}`, line);
      }
      text(row, 'output', line);
      break;
    }
    case 'preference':
      text(row, 'prompt', line);
      text(row, 'chosen', line);
      text(row, 'rejected', line);
      break;
    case 'openai-preference': {
      const source = row['input'];
      if (source === null || typeof source !== 'object' || Array.isArray(source)) {
        throw new TrainingFileError('field "input" must be an object with "messages"', line);
      }
      messages((source as Row)['messages'], line, 'input.messages');
      messages(row['preferred_output'], line, 'preferred_output');
      messages(row['non_preferred_output'], line, 'non_preferred_output');
      break;
    }
  }
  return rowWeight;
}

/** The file's lines as text; bytes that are not UTF-8 are refused at their line. */
function decodeLines(content: string | Uint8Array): string[] {
  if (typeof content === 'string') return content.replace(/^\ufeff/, '').split('\n');
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= content.length; i++) {
    if (i === content.length || content[i] === 0x0a) {
      try {
        lines.push(decoder.decode(content.subarray(start, i)));
      } catch {
        throw new TrainingFileError('the file is not UTF-8 text', lines.length + 1);
      }
      start = i + 1;
    }
  }
  if (lines[0] !== undefined) lines[0] = lines[0].replace(/^\ufeff/, '');
  return lines;
}

/**
 * Checks a JSONL training file for a job of `method` and describes it; throws a
 * TrainingFileError naming the first wrong line. Blank lines are skipped; a file holds one
 * format.
 */
export function checkTrainingFile(
  content: string | Uint8Array,
  method: TrainingMethod,
): TrainingFileSummary {
  const lines = decodeLines(content);
  let format: TrainingFileFormat | null = null;
  let firstLine = 0;
  let rows = 0;
  let weighted = false;
  let zeroWeightRows = 0;
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TrainingFileError(`not valid JSON (${why})`, line);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new TrainingFileError(`each line must be a JSON object, got ${typeName(row)}`, line);
    }
    const rowFormat = detectFormat(row as Row, line);
    if (format === null) {
      format = rowFormat;
      firstLine = line;
    } else if (rowFormat !== format) {
      throw new TrainingFileError(
        `${TRAINING_FORMAT_NAMES[rowFormat]} mixed with ${TRAINING_FORMAT_NAMES[format]} (line ${firstLine}); a file holds one format`,
        line,
      );
    }
    const rowWeight = checkRow(row as Row, rowFormat, line);
    rows += 1;
    if (rowWeight !== 1) weighted = true;
    if (rowWeight === 0) zeroWeightRows += 1;
  });
  if (format === null) throw new TrainingFileError('the file has no rows', null);
  const found: TrainingFileFormat = format;
  const kind = PREFERENCE_FORMATS.includes(found) ? 'preference' : 'supervised';
  const wanted = method === 'dpo' ? 'preference' : 'supervised';
  if (kind !== wanted) {
    throw new TrainingFileError(
      `the file holds ${TRAINING_FORMAT_NAMES[found]}; method '${method}' needs ${wanted === 'preference' ? 'prompt/chosen/rejected pairs' : 'prompt/completion rows'}`,
      null,
    );
  }
  return { format: found, rows, kind, weighted, zeroWeightRows };
}
