// Run bundles in Node: a full round trip, reproducible bytes, the official layout inside, and
// every way an import is refused before anything is written.
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  checkMatrixShape,
  parseSamplesJsonl,
  parseTrainLoss,
  parseValidLoss,
  parseWeight,
} from '../../../src/core/official/files';
import { BUNDLE_FILES, readBundle, withRunId, writeBundle } from '../../../src/data/bundle';
import { DataError } from '../../../src/data/errors';
import { sha256OfBytes } from '../../../src/data/hash';
import { buildSnapshot } from './snapshotFixture';

const createdAt = new Date('2025-03-01T12:00:00Z');

async function failure(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

/** Rewrites files of a bundle; with `fixChecksums` the manifest is updated to match. */
async function edit(
  bytes: Uint8Array,
  change: (files: Record<string, Uint8Array>) => void,
  fixChecksums = false,
): Promise<Uint8Array> {
  const files = unzipSync(bytes);
  change(files);
  if (fixChecksums) {
    const manifest = JSON.parse(strFromU8(files['manifest.json'] as Uint8Array));
    for (const entry of manifest.files) {
      const content = files[entry.path] as Uint8Array;
      entry.bytes = content.byteLength;
      entry.sha256 = await sha256OfBytes(content);
    }
    files['manifest.json'] = strToU8(JSON.stringify(manifest));
  }
  return zipSync(files);
}

describe('bundle round trip', () => {
  it('reads back exactly the snapshot it wrote, non-finite numbers included', async () => {
    const snapshot = buildSnapshot();
    expect(snapshot.candidates.at(-1)?.loss).toBe(Infinity);
    const bytes = await writeBundle(snapshot, { createdAt });
    const { manifest, snapshot: read } = await readBundle(bytes);
    expect(read).toEqual(snapshot);
    expect(manifest.counts).toEqual({
      datasets: 2,
      questions: 6,
      validationItems: 5,
      candidates: 24,
      validationLosses: 5,
      trainerJobs: 1,
    });
    expect(manifest.createdAt).toBe('2025-03-01T12:00:00.000Z');
    expect(manifest.recipe).toEqual(snapshot.run.recipe);
  });

  it('writes the same bytes for the same snapshot, and sorts candidates by key', async () => {
    const snapshot = buildSnapshot();
    const shuffled = { ...snapshot, candidates: [...snapshot.candidates].reverse() };
    const a = await writeBundle(snapshot, { createdAt });
    const b = await writeBundle(shuffled, { createdAt });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('lists every file with its size and SHA-256', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const files = unzipSync(bytes);
    const manifest = JSON.parse(strFromU8(files['manifest.json'] as Uint8Array));
    expect(Object.keys(files).sort()).toEqual(
      ['manifest.json', ...manifest.files.map((f: { path: string }) => f.path)].sort(),
    );
    for (const entry of manifest.files) {
      expect(await sha256OfBytes(files[entry.path] as Uint8Array)).toBe(entry.sha256);
    }
  });

  it('copies a snapshot under a new run id', () => {
    const copy = withRunId(buildSnapshot(), 'run-copy', 'Copy');
    expect(copy.run).toMatchObject({ id: 'run-copy', name: 'Copy' });
    expect(new Set(copy.candidates.map((c) => c.runId))).toEqual(new Set(['run-copy']));
    expect(copy.trainerJobs[0]).toMatchObject({ id: 'job-1~run-copy', runId: 'run-copy' });
  });
});

describe('the official layout inside a bundle', () => {
  it('holds samples.jsonl and the loss/weight files the official code reads', async () => {
    const snapshot = buildSnapshot();
    const files = unzipSync(await writeBundle(snapshot, { createdAt }));
    const text = (name: string) => strFromU8(files[`official/${name}`] as Uint8Array);
    const samples = parseSamplesJsonl(text('samples.jsonl'));
    expect(samples.rows).toHaveLength(6);
    expect(samples.rows[0]).toEqual({
      question: snapshot.questions[0]?.question,
      candidates: snapshot.candidates.filter((c) => c.questionId === 0).map((c) => c.text),
      ground_truth: snapshot.questions[0]?.gold,
    });
    const trainLoss = parseTrainLoss(text('train_loss.json'));
    checkMatrixShape(samples, trainLoss, 'train_loss.json');
    expect(trainLoss[1]).toEqual(
      snapshot.candidates.filter((c) => c.questionId === 1).map((c) => c.loss),
    );
    expect(trainLoss.at(-1)?.at(-1)).toBe(Infinity);
    const weight = parseWeight(text('weight.json'));
    expect(weight.flat()).toEqual(snapshot.candidates.map((c) => c.wPrime));
    expect(parseValidLoss(text('valid_loss.json'))).toEqual(
      snapshot.validationLosses.map((v) => v.loss),
    );
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith('official/'))
        .sort(),
    ).toEqual([
      'official/RM_weight.json',
      'official/samples.jsonl',
      'official/self_weight.json',
      'official/train_loss.json',
      'official/valid_loss.json',
      'official/weight.json',
    ]);
  });

  it('leaves out a column the run has not finished', async () => {
    const bytes = await writeBundle(buildSnapshot({ partialScores: true }), { createdAt });
    const { manifest } = await readBundle(bytes);
    expect(manifest.official).not.toContain('train_loss.json');
    expect(manifest.official).toContain('samples.jsonl');
  });
});

describe('refused imports', () => {
  it('names the file whose checksum does not match', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const tampered = await edit(bytes, (files) => {
      const text = strFromU8(files[BUNDLE_FILES.candidates] as Uint8Array);
      files[BUNDLE_FILES.candidates] = strToU8(text.replace('The answer is', 'The answer was'));
    });
    const error = await failure(readBundle(tampered));
    expect(error.code).toBe('bundle-checksum');
    expect(error.message).toBe(
      'candidates.jsonl does not match its SHA-256 in manifest.json: the bundle was changed or damaged after it was exported. Nothing was imported.',
    );
  });

  it('refuses a newer format version and says what to do', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const newer = await edit(bytes, (files) => {
      const manifest = JSON.parse(strFromU8(files['manifest.json'] as Uint8Array));
      manifest.version = 3;
      files['manifest.json'] = strToU8(JSON.stringify(manifest));
    });
    const error = await failure(readBundle(newer));
    expect(error.code).toBe('bundle-version');
    expect(error.message).toBe(
      'This bundle has format version 3; this version of the playground reads versions 1 to 2. Update the playground to import it.',
    );
  });

  it('names a missing file', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const missing = await edit(bytes, (files) => {
      delete files[BUNDLE_FILES.scores];
    });
    const error = await failure(readBundle(missing));
    expect(error.code).toBe('bundle-missing-file');
    expect(error.message).toContain('scores.jsonl');
  });

  it('refuses what is not a zip or has no manifest', async () => {
    expect((await failure(readBundle(strToU8('hello')))).code).toBe('bundle-format');
    const noManifest = zipSync({ 'samples.jsonl': strToU8('{}\n') });
    const error = await failure(readBundle(noManifest));
    expect(error.message).toBe(
      'This zip has no manifest.json, so it is not a run bundle exported by the playground.',
    );
  });

  it('checks every row even when the checksums were recomputed', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const edited = await edit(
      bytes,
      (files) => {
        const lines = strFromU8(files[BUNDLE_FILES.candidates] as Uint8Array).split('\n');
        const row = JSON.parse(lines[2] as string);
        row.index = -1;
        lines[2] = JSON.stringify(row);
        files[BUNDLE_FILES.candidates] = strToU8(lines.join('\n'));
      },
      true,
    );
    const error = await failure(readBundle(edited));
    expect(error.code).toBe('bundle-content');
    expect(error.message).toMatch(/^candidates\.jsonl line 3: field "index": /);
  });

  it('refuses official files that disagree with the tables', async () => {
    const bytes = await writeBundle(buildSnapshot(), { createdAt });
    const edited = await edit(
      bytes,
      (files) => {
        files['official/valid_loss.json'] = strToU8('[1.0, 2.0]');
      },
      true,
    );
    const error = await failure(readBundle(edited));
    expect(error.message).toBe(
      'official/valid_loss.json does not agree with candidates.jsonl, scores.jsonl and validation_losses.jsonl.',
    );
  });

  it('never writes a token into a bundle', async () => {
    const snapshot = buildSnapshot();
    const job = snapshot.trainerJobs[0];
    if (!job) throw new Error('fixture has a job');
    (job as unknown as Record<string, unknown>)['token'] = 'hf_abcdefghijklmnopqrstuvwxyz';
    const error = await failure(writeBundle(snapshot, { createdAt }));
    expect(error.code).toBe('secret-refused');
    expect(error.message).toContain('"token" looks like a token or key');
  });
});
