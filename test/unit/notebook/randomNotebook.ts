// Random valid notebooks for property tests, drawn from the seeded RNG so failures reproduce.

import { EXPORT_FORMATS } from '../../../src/core/export/formats';
import { NOTEBOOK_VERSION } from '../../../src/core/notebook';
import type { FileColumnMapping, Notebook } from '../../../src/core/notebook';
import type { Rng } from '../../../src/core/rng';
import { TASK_IDS } from '../../../src/core/types';
import type { FilterSpec } from '../../../src/core/types';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;:!?-_/"\'\\\n\té中文🙂';

export function randomText(rng: Rng, min: number, max: number): string {
  const length = rng.int(min, max);
  // Iterate code points so that the emoji (two UTF-16 units) is never split.
  const symbols = [...ALPHABET];
  let out = '';
  for (let i = 0; i < length; i++) out += rng.pick(symbols);
  return out;
}

function randomId(rng: Rng): string {
  return `${rng.pick(['gsm8k', 'org/data', 'ChilleD/SVAMP', 'x'])}${rng.int(0, 999)}`;
}

function randomSlice(rng: Rng): { start: number; end: number | null } {
  const start = rng.int(0, 5000);
  return { start, end: rng.next() < 0.3 ? null : start + rng.int(0, 5000) };
}

/** A column mapping of a D_q (no rationale) or D_v file, or none (the proposed one). */
function randomMapping(rng: Rng, withRationale: boolean): FileColumnMapping | undefined {
  const draw = rng.next();
  if (draw < 0.3) return undefined;
  if (draw < 0.5) return { kind: 'task', task: rng.pick(TASK_IDS) };
  return {
    kind: 'columns',
    question: rng.pick(['question', 'prompt_text', 'Frage']),
    answer: rng.next() < 0.3 ? null : rng.pick(['answer', 'gold']),
    rationale: withRationale ? rng.pick(['rationale', 'why']) : null,
  };
}

/** The mapping field, left out when there is none (as the playground writes it). */
function withMapping(mapping: FileColumnMapping | undefined): { mapping?: FileColumnMapping } {
  return mapping === undefined ? {} : { mapping };
}

function randomHash(rng: Rng): string {
  return Array.from({ length: 64 }, () => rng.pick([...'0123456789abcdef'])).join('');
}

function randomFraction(rng: Rng): number {
  // Mix round values and arbitrary doubles: both must survive JSON exactly.
  return rng.next() < 0.5 ? rng.int(0, 100) / 100 : rng.next();
}

export function randomFilter(rng: Rng, depth = 0): FilterSpec {
  const method = rng.pick([
    'lmsi',
    'entropy',
    'self',
    'rm',
    'iwsi',
    'groundtruth',
    'intersection',
  ] as const);
  switch (method) {
    case 'entropy':
      return { method, u: randomFraction(rng) };
    case 'self':
    case 'rm':
    case 'iwsi':
      return { method, k: randomFraction(rng) };
    case 'intersection':
      if (depth > 0) return { method: 'lmsi' };
      return { method, of: [randomFilter(rng, depth + 1), randomFilter(rng, depth + 1)] };
    default:
      return { method };
  }
}

export function randomNotebook(rng: Rng): Notebook {
  const kind = rng.pick(['webllm', 'transformers', 'remote'] as const);
  const exemplarCount = rng.int(0, 4);
  return {
    version: NOTEBOOK_VERSION,
    title: randomText(rng, 0, 60),
    recipe: {
      task: rng.pick(TASK_IDS),
      dataset: {
        id: randomId(rng),
        revision: rng.next() < 0.5 ? 'main' : 'a'.repeat(40),
        config: rng.next() < 0.5 ? null : 'main',
        split: rng.pick(['train', 'test', 'train_r1']),
        slice: randomSlice(rng),
        ...(rng.next() < 0.5
          ? {}
          : {
              file: {
                name: `${randomId(rng)}.${rng.pick(['jsonl', 'csv', 'parquet'])}`,
                sha256: rng.next() < 0.2 ? null : randomHash(rng),
                ...withMapping(randomMapping(rng, false)),
              },
            }),
      },
      validation:
        rng.next() < 0.5
          ? { source: 'dataset', split: 'train', slice: randomSlice(rng) }
          : {
              source: 'file',
              name: `${randomId(rng)}.jsonl`,
              sha256: rng.next() < 0.5 ? null : '0123456789abcdef'.repeat(4),
              ...withMapping(randomMapping(rng, true)),
            },
      engine: {
        kind,
        modelId: randomId(rng),
        version: rng.next() < 0.5 ? null : `v${rng.int(0, 9)}`,
        baseUrl:
          kind === 'remote' && rng.next() < 0.7 ? `http://localhost:${rng.int(1, 65535)}/v1` : null,
      },
      prompt: {
        exemplars:
          exemplarCount === 0
            ? null
            : Array.from({ length: exemplarCount }, () => ({
                question: randomText(rng, 1, 120),
                rationale: randomText(rng, 0, 200),
                answer: String(rng.int(-100, 1000)),
              })),
      },
      sampling: {
        m: rng.int(1, 64),
        temperature: rng.int(0, 500) / 100,
        maxTokens: rng.int(16, 4096),
        seed: rng.nextUint32(),
      },
      evaluation: { split: 'test', slice: randomSlice(rng), maxTokens: rng.int(16, 2048) },
      extractionMode: rng.pick(['faithful', 'clean'] as const),
      lossMode: rng.pick(['faithful', 'clean'] as const),
      filters: Array.from({ length: rng.int(1, 4) }, () => randomFilter(rng)),
      export: { format: rng.pick(EXPORT_FORMATS), includeWeight: rng.next() < 0.5 },
      trainer: {
        lora: {
          r: rng.int(1, 256),
          alpha: rng.int(1, 128),
          dropout: randomFraction(rng),
          targetModules: rng
            .shuffle(['q_proj', 'v_proj', 'down_proj', 'gate_proj', 'up_proj'])
            .slice(0, rng.int(1, 5)),
        },
        learningRate: rng.int(1, 1000) * 1e-6,
        schedule: rng.pick(['cosine', 'linear', 'constant'] as const),
        warmupRatio: randomFraction(rng),
        epochs: rng.int(1, 10),
        batchSize: rng.int(1, 8),
        gradientAccumulation: rng.int(1, 16),
        maxLength: rng.int(16, 2048),
        seed: rng.nextUint32(),
        spin: {
          beta: rng.int(1, 500) / 100,
          iteration: rng.int(0, 3),
          ...(rng.next() < 0.5 ? { epochs: rng.int(1, 10), maxNewTokens: rng.int(16, 512) } : {}),
        },
      },
    },
    ui: {
      openCell: rng.next() < 0.5 ? null : rng.pick(['setup', 'generate', 'filter']),
      teaching: rng.next() < 0.5,
      hiddenControls: rng.next() < 0.5 ? [] : ['temperature', 'seed'],
    },
  };
}

/** Untyped JSON, for building deliberately invalid notebooks in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LooseJson = Record<string, any>;

/** A deep, untyped copy of a notebook that a test can break field by field. */
export function looseCopy(notebook: Notebook): LooseJson {
  return structuredClone(notebook) as unknown as LooseJson;
}
