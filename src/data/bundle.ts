// Run bundles: a whole run as ONE zip file that the app and the `iwsi` CLI both read and write.
//
//   manifest.json            format, version, the full recipe, counts, size + SHA-256 of every file
//   run.json                 the run (status, progress, results, timestamps, error, engine)
//   datasets.json            the datasets the run uses (records without rows)
//   questions.jsonl          D_q rows: datasetId, row, question, gold, raw
//   validation.jsonl         D_v rows: datasetId, row, question, reference, answer, raw
//   candidates.jsonl         per candidate: questionId, index, raw, text, answer, rule, tokens,
//                            finishReason
//   scores.jsonl             per candidate (same order): loss, selfScore, reward, mark, wPrime, ds, decisions
//   validation_losses.jsonl  row, loss, tokens
//   trainer_jobs.json        the run's trainer jobs (never a token)
//   official/…               the official IWSI layout (samples.jsonl, train_loss.json, …) for the
//                            data the run has, so the official scripts can use an exported run
//
// No Dexie here (it runs in Node too): bundles convert to and from RunSnapshot records, and
// src/data/runBundle.ts moves snapshots in and out of the store. Reading validates everything —
// checksums, version, every row, cross-file consistency — before returning anything.

import { unzipSync, zipSync, type Zippable } from 'fflate';
import { canonicalJson, recipeHash } from '../core/notebook/notebook';
import {
  OFFICIAL_FILE_NAMES,
  serializeNumbers,
  serializeSamplesJsonl,
  type OfficialSample,
} from '../core/official/files';
import { getTask } from '../core/tasks/registry';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  bundleJsonReplacer,
  candidateScoreSchema,
  candidateTextSchema,
  datasetSchema,
  manifestSchema,
  questionSchema,
  runSchema,
  trainerJobSchema,
  validationItemSchema,
  validationLossSchema,
  type BundleManifest,
} from './bundleSchema';
import { DataError } from './errors';
import { sha256OfBytes } from './hash';
import type { CandidateRecord, RunSnapshot } from './records';
import { assertNoSecrets } from './secrets';
import type { z } from 'zod';

export { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleManifest };

/** Bundles larger than this (1 GiB) are refused before unzipping. */
export const MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  run: 'run.json',
  datasets: 'datasets.json',
  questions: 'questions.jsonl',
  validation: 'validation.jsonl',
  candidates: 'candidates.jsonl',
  scores: 'scores.jsonl',
  validationLosses: 'validation_losses.jsonl',
  trainerJobs: 'trainer_jobs.json',
} as const;

const OFFICIAL_DIR = 'official/';

export interface WriteBundleOptions {
  /** Written into the manifest and used as every zip entry's time (default: now). */
  createdAt?: Date;
  /** Who wrote the bundle, e.g. "iwsi-playground 0.1.0 (browser)". */
  generator?: string;
}

export interface ReadBundle {
  manifest: BundleManifest;
  snapshot: RunSnapshot;
}

const encoder = new TextEncoder();
const json = (value: unknown): string => `${JSON.stringify(value, bundleJsonReplacer, 2)}\n`;
const jsonl = (rows: readonly unknown[]): string =>
  rows.map((row) => JSON.stringify(row, bundleJsonReplacer)).join('\n') +
  (rows.length > 0 ? '\n' : '');

/** The official layout's files for what the run has (only complete columns are written). */
export function officialFiles(snapshot: RunSnapshot): Record<string, string> {
  const { run, questions, candidates, validationLosses } = snapshot;
  const files: Record<string, string> = {};
  if (candidates.length > 0) {
    const task = getTask(run.recipe.task);
    const byQuestion = new Map<number, CandidateRecord[]>();
    for (const candidate of candidates) {
      const list = byQuestion.get(candidate.questionId);
      if (list) list.push(candidate);
      else byQuestion.set(candidate.questionId, [candidate]);
    }
    const asked = questions
      .filter((q) => q.datasetId === run.questionsDatasetId && byQuestion.has(q.row))
      .sort((a, b) => a.row - b.row);
    const groups = asked.map((q) => byQuestion.get(q.row) as CandidateRecord[]);
    // SVAMP's official ground truth is a number; the other tasks' are strings.
    const groundTruth = (gold: string | null): string | number =>
      gold === null
        ? ''
        : task.id === 'svamp' && Number.isFinite(Number(gold))
          ? Number(gold)
          : gold;
    const samples: OfficialSample[] = asked.map((q, i) => ({
      question: q.question,
      candidates: (groups[i] as CandidateRecord[]).map((c) => c.text),
      ground_truth: groundTruth(q.gold),
    }));
    files[OFFICIAL_FILE_NAMES.samples] = serializeSamplesJsonl(samples);
    const column = (pick: (c: CandidateRecord) => number | null): number[][] | null => {
      const matrix = groups.map((group) => group.map(pick));
      return matrix.every((row) => row.every((v) => v !== null)) ? (matrix as number[][]) : null;
    };
    const matrices: [string, number[][] | null][] = [
      [OFFICIAL_FILE_NAMES.trainLoss, column((c) => c.loss)],
      [OFFICIAL_FILE_NAMES.weight, column((c) => c.wPrime)],
      [OFFICIAL_FILE_NAMES.rmWeight, column((c) => c.reward)],
      [OFFICIAL_FILE_NAMES.selfWeight, column((c) => c.selfScore)],
    ];
    for (const [name, matrix] of matrices) if (matrix) files[name] = serializeNumbers(matrix);
  }
  if (validationLosses.length > 0) {
    const losses = [...validationLosses].sort((a, b) => a.row - b.row).map((v) => v.loss);
    files[OFFICIAL_FILE_NAMES.validLoss] = serializeNumbers(losses);
  }
  return files;
}

function bundleTexts(snapshot: RunSnapshot): Record<string, string> {
  const { run, datasets, questions, validationItems, candidates, validationLosses, trainerJobs } =
    snapshot;
  const texts: Record<string, string> = {
    [BUNDLE_FILES.run]: json(run),
    [BUNDLE_FILES.datasets]: json(datasets),
    [BUNDLE_FILES.questions]: jsonl(questions),
    [BUNDLE_FILES.validation]: jsonl(validationItems),
    [BUNDLE_FILES.candidates]: jsonl(
      candidates.map(({ questionId, index, raw, text, answer, rule, tokens, finishReason }) => ({
        questionId,
        index,
        raw,
        text,
        answer,
        rule,
        tokens,
        finishReason,
      })),
    ),
    [BUNDLE_FILES.scores]: jsonl(
      candidates.map(
        ({ questionId, index, loss, selfScore, reward, mark, wPrime, ds, decisions }) => ({
          questionId,
          index,
          loss,
          selfScore,
          reward,
          mark,
          wPrime,
          ds,
          decisions,
        }),
      ),
    ),
    [BUNDLE_FILES.validationLosses]: jsonl(
      validationLosses.map(({ row, loss, tokens }) => ({ row, loss, tokens })),
    ),
    [BUNDLE_FILES.trainerJobs]: json(trainerJobs),
  };
  for (const [name, text] of Object.entries(officialFiles(snapshot)))
    texts[OFFICIAL_DIR + name] = text;
  return texts;
}

const byKey = (a: CandidateRecord, b: CandidateRecord): number =>
  a.questionId - b.questionId || a.index - b.index;

/** Writes a run as one zip. The same snapshot and `createdAt` give the same bytes everywhere. */
export async function writeBundle(
  snapshot: RunSnapshot,
  options: WriteBundleOptions = {},
): Promise<Uint8Array> {
  for (const job of snapshot.trainerJobs) assertNoSecrets(job, 'a trainer job in a bundle');
  const ordered: RunSnapshot = { ...snapshot, candidates: [...snapshot.candidates].sort(byKey) };
  const createdAt = options.createdAt ?? new Date();
  const texts = bundleTexts(ordered);
  const entries: Record<string, Uint8Array> = {};
  const files: BundleManifest['files'] = [];
  for (const [path, text] of Object.entries(texts)) {
    const bytes = encoder.encode(text);
    entries[path] = bytes;
    files.push({ path, bytes: bytes.byteLength, sha256: await sha256OfBytes(bytes) });
  }
  const { run } = ordered;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: createdAt.toISOString(),
    generator: options.generator ?? 'iwsi-playground',
    run: { id: run.id, name: run.name, recipeHash: run.recipeHash, task: run.recipe.task },
    recipe: run.recipe,
    counts: {
      datasets: ordered.datasets.length,
      questions: ordered.questions.length,
      validationItems: ordered.validationItems.length,
      candidates: ordered.candidates.length,
      validationLosses: ordered.validationLosses.length,
      trainerJobs: ordered.trainerJobs.length,
    },
    official: Object.keys(texts)
      .filter((p) => p.startsWith(OFFICIAL_DIR))
      .map((p) => p.slice(OFFICIAL_DIR.length)),
    files,
  };
  const zippable: Zippable = { [BUNDLE_FILES.manifest]: encoder.encode(json(manifest)) };
  for (const [path, bytes] of Object.entries(entries)) zippable[path] = bytes;
  // DOS times start in 1980; a fixed time keeps the archive reproducible.
  const mtime =
    createdAt.getTime() < Date.UTC(1980, 1, 1) ? new Date(Date.UTC(1980, 1, 1)) : createdAt;
  return zipSync(zippable, { level: 6, mtime });
}

// ------------------------------------------------------------------------------------ reading

function contentError(message: string): DataError {
  return new DataError('bundle-content', message);
}

/** "field "index" must be …" from a zod issue. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `field "${path}": ${issue.message}`;
}

function parseJsonFile<T>(text: string, file: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw contentError(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw contentError(`${file}: ${describeIssue(parsed.error.issues[0] as z.core.$ZodIssue)}.`);
  return parsed.data;
}

function parseJsonlFile<T>(text: string, file: string, schema: z.ZodType<T>): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw contentError(
        `${file} line ${i + 1}: not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw contentError(
        `${file} line ${i + 1}: ${describeIssue(parsed.error.issues[0] as z.core.$ZodIssue)}.`,
      );
    }
    out.push(parsed.data);
  }
  return out;
}

function unzip(bytes: Uint8Array): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (error) {
    throw new DataError(
      'bundle-format',
      `This file is not a run bundle: it is not a readable zip archive (${error instanceof Error ? error.message : String(error)}).`,
      { cause: error },
    );
  }
}

function readManifest(entries: Record<string, Uint8Array>): BundleManifest {
  const bytes = entries[BUNDLE_FILES.manifest];
  if (!bytes) {
    throw new DataError(
      'bundle-missing-file',
      `This zip has no ${BUNDLE_FILES.manifest}, so it is not a run bundle exported by the playground.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new DataError(
      'bundle-format',
      `${BUNDLE_FILES.manifest} is not valid JSON (${String(error)}).`,
    );
  }
  const head = (raw ?? {}) as { format?: unknown; version?: unknown };
  if (head.format !== BUNDLE_FORMAT) {
    throw new DataError(
      'bundle-format',
      `${BUNDLE_FILES.manifest} does not describe a run bundle (format "${String(head.format)}", expected "${BUNDLE_FORMAT}").`,
    );
  }
  if (typeof head.version !== 'number' || head.version > BUNDLE_VERSION || head.version < 1) {
    throw new DataError(
      'bundle-version',
      `This bundle has format version ${String(head.version)}; this version of the playground reads versions 1 to ${BUNDLE_VERSION}. ${typeof head.version === 'number' && head.version > BUNDLE_VERSION ? 'Update the playground to import it.' : ''}`.trim(),
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DataError(
      'bundle-format',
      `${BUNDLE_FILES.manifest}: ${describeIssue(parsed.error.issues[0] as z.core.$ZodIssue)}.`,
    );
  }
  return parsed.data;
}

/** Checks every listed file's presence, size and SHA-256; returns the files as text. */
async function verifiedTexts(
  entries: Record<string, Uint8Array>,
  manifest: BundleManifest,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const file of manifest.files) {
    const bytes = entries[file.path];
    if (!bytes) {
      throw new DataError(
        'bundle-missing-file',
        `The bundle lists ${file.path} in ${BUNDLE_FILES.manifest}, but the file is missing.`,
      );
    }
    const digest = await sha256OfBytes(bytes);
    if (bytes.byteLength !== file.bytes || digest !== file.sha256) {
      throw new DataError(
        'bundle-checksum',
        `${file.path} does not match its SHA-256 in ${BUNDLE_FILES.manifest}: the bundle was changed or damaged after it was exported. Nothing was imported.`,
      );
    }
    try {
      texts.set(file.path, decoder.decode(bytes));
    } catch {
      throw contentError(`${file.path} is not UTF-8 text.`);
    }
  }
  for (const required of Object.values(BUNDLE_FILES)) {
    if (required !== BUNDLE_FILES.manifest && !texts.has(required)) {
      throw new DataError(
        'bundle-missing-file',
        `The bundle has no ${required} (it must list every file of format version ${BUNDLE_VERSION}).`,
      );
    }
  }
  return texts;
}

function checkConsistency(
  manifest: BundleManifest,
  snapshot: RunSnapshot,
  texts: Map<string, string>,
): void {
  const { run, datasets, questions, validationItems, candidates, validationLosses, trainerJobs } =
    snapshot;
  if (manifest.run.id !== run.id || manifest.run.recipeHash !== run.recipeHash) {
    throw contentError(`${BUNDLE_FILES.manifest} and ${BUNDLE_FILES.run} describe different runs.`);
  }
  if (canonicalJson(manifest.recipe) !== canonicalJson(run.recipe)) {
    throw contentError(
      `The recipe in ${BUNDLE_FILES.manifest} differs from the one in ${BUNDLE_FILES.run}.`,
    );
  }
  if (recipeHash(run.recipe) !== run.recipeHash) {
    throw contentError(
      `${BUNDLE_FILES.run}: the recipe's hash is not ${run.recipeHash}; the recipe was edited.`,
    );
  }
  const counts: [string, number, number][] = [
    [BUNDLE_FILES.datasets, manifest.counts.datasets, datasets.length],
    [BUNDLE_FILES.questions, manifest.counts.questions, questions.length],
    [BUNDLE_FILES.validation, manifest.counts.validationItems, validationItems.length],
    [BUNDLE_FILES.candidates, manifest.counts.candidates, candidates.length],
    [BUNDLE_FILES.validationLosses, manifest.counts.validationLosses, validationLosses.length],
    [BUNDLE_FILES.trainerJobs, manifest.counts.trainerJobs, trainerJobs.length],
  ];
  for (const [file, expected, actual] of counts) {
    if (expected !== actual)
      throw contentError(
        `${file} has ${actual} rows but ${BUNDLE_FILES.manifest} counts ${expected}.`,
      );
  }
  const datasetIds = new Set(datasets.map((d) => d.id));
  for (const id of [run.questionsDatasetId, run.validationDatasetId]) {
    if (id !== null && !datasetIds.has(id))
      throw contentError(
        `${BUNDLE_FILES.run} uses dataset ${id}, which ${BUNDLE_FILES.datasets} does not contain.`,
      );
  }
  const questionRows = new Set(
    questions.filter((q) => q.datasetId === run.questionsDatasetId).map((q) => q.row),
  );
  for (const q of questions) {
    if (!datasetIds.has(q.datasetId))
      throw contentError(
        `${BUNDLE_FILES.questions}: question row ${q.row} belongs to unknown dataset ${q.datasetId}.`,
      );
  }
  for (const v of validationItems) {
    if (!datasetIds.has(v.datasetId))
      throw contentError(
        `${BUNDLE_FILES.validation}: item row ${v.row} belongs to unknown dataset ${v.datasetId}.`,
      );
  }
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as CandidateRecord;
    if (i > 0 && byKey(candidates[i - 1] as CandidateRecord, c) >= 0) {
      throw contentError(
        `${BUNDLE_FILES.candidates} line ${i + 1}: candidate (${c.questionId}, ${c.index}) is repeated or out of order.`,
      );
    }
    if (!questionRows.has(c.questionId)) {
      throw contentError(
        `${BUNDLE_FILES.candidates} line ${i + 1}: question ${c.questionId} is not among the run's questions.`,
      );
    }
  }
  for (const job of trainerJobs) {
    assertNoSecrets(job, `trainer job ${job.id} of the bundle`);
    if (job.runId !== run.id)
      throw contentError(`${BUNDLE_FILES.trainerJobs}: job ${job.id} belongs to another run.`);
  }
  // The official files must say what the bundle's own tables say.
  const expected = officialFiles(snapshot);
  const listed = new Set(manifest.official);
  for (const name of new Set([...Object.keys(expected), ...listed])) {
    const text = texts.get(OFFICIAL_DIR + name);
    if (!listed.has(name) || text === undefined || text !== expected[name]) {
      throw contentError(
        `${OFFICIAL_DIR}${name} does not agree with ${BUNDLE_FILES.candidates}, ${BUNDLE_FILES.scores} and ${BUNDLE_FILES.validationLosses}.`,
      );
    }
  }
}

/**
 * Reads and validates a bundle: zip, manifest (format and version), presence, size and SHA-256
 * of every file, every row's fields, counts and cross references. Throws a DataError naming the
 * file (and line) at fault; returns nothing partial.
 */
export async function readBundle(bytes: Uint8Array): Promise<ReadBundle> {
  if (bytes.byteLength > MAX_BUNDLE_BYTES) {
    throw new DataError(
      'file-too-large',
      `This bundle is larger than ${MAX_BUNDLE_BYTES / 1024 ** 3} GiB; the playground cannot import it in a browser tab.`,
    );
  }
  const entries = unzip(bytes);
  const manifest = readManifest(entries);
  const texts = await verifiedTexts(entries, manifest);
  const text = (file: string) => texts.get(file) as string;
  const run = parseJsonFile(text(BUNDLE_FILES.run), BUNDLE_FILES.run, runSchema);
  const candidateTexts = parseJsonlFile(
    text(BUNDLE_FILES.candidates),
    BUNDLE_FILES.candidates,
    candidateTextSchema,
  );
  const scores = parseJsonlFile(
    text(BUNDLE_FILES.scores),
    BUNDLE_FILES.scores,
    candidateScoreSchema,
  );
  if (scores.length !== candidateTexts.length) {
    throw contentError(
      `${BUNDLE_FILES.scores} has ${scores.length} rows but ${BUNDLE_FILES.candidates} has ${candidateTexts.length}.`,
    );
  }
  const candidates: CandidateRecord[] = candidateTexts.map((c, i) => {
    const s = scores[i] as (typeof scores)[number];
    if (s.questionId !== c.questionId || s.index !== c.index) {
      throw contentError(
        `${BUNDLE_FILES.scores} line ${i + 1} is for candidate (${s.questionId}, ${s.index}) but ${BUNDLE_FILES.candidates} line ${i + 1} is (${c.questionId}, ${c.index}).`,
      );
    }
    return { runId: run.id, ...c, ...s };
  });
  const snapshot: RunSnapshot = {
    run,
    datasets: parseJsonFile(
      text(BUNDLE_FILES.datasets),
      BUNDLE_FILES.datasets,
      datasetSchema.array(),
    ),
    questions: parseJsonlFile(text(BUNDLE_FILES.questions), BUNDLE_FILES.questions, questionSchema),
    validationItems: parseJsonlFile(
      text(BUNDLE_FILES.validation),
      BUNDLE_FILES.validation,
      validationItemSchema,
    ),
    candidates,
    validationLosses: parseJsonlFile(
      text(BUNDLE_FILES.validationLosses),
      BUNDLE_FILES.validationLosses,
      validationLossSchema,
    ).map((v) => ({ runId: run.id, ...v })),
    trainerJobs: parseJsonFile(
      text(BUNDLE_FILES.trainerJobs),
      BUNDLE_FILES.trainerJobs,
      trainerJobSchema.array(),
    ),
  };
  checkConsistency(manifest, snapshot, texts);
  return { manifest, snapshot };
}

/** A copy of a snapshot under another run id (to import a bundle next to its original). */
export function withRunId(snapshot: RunSnapshot, runId: string, name?: string): RunSnapshot {
  return {
    ...snapshot,
    run: { ...snapshot.run, id: runId, name: name ?? snapshot.run.name },
    candidates: snapshot.candidates.map((c) => ({ ...c, runId })),
    validationLosses: snapshot.validationLosses.map((v) => ({ ...v, runId })),
    // Job ids are primary keys: a copy's jobs need their own.
    trainerJobs: snapshot.trainerJobs.map((j) => ({ ...j, id: `${j.id}~${runId}`, runId })),
  };
}
