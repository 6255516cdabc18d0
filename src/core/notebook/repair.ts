// The nearest valid notebook to an invalid one: the defaults, overlaid with every field of the
// input that is valid on its own, plus the list of what was dropped. Used when a shared link
// fails validation (an older build's typo, a hand-edited file) so the user can still open it
// and see exactly what was not kept.

import { z } from 'zod';
import { defaultNotebook } from './defaults';
import { NotebookError } from './errors';
import { describeIssues, formatPath } from './issues';
import { migrateNotebook } from './migrate';
import { NOTEBOOK_VERSION, notebookSchema } from './schema';
import type { Notebook } from './schema';

export interface RepairResult {
  notebook: Notebook;
  /** One sentence per dropped value: where, why, and that the default was used instead. */
  dropped: string[];
  /** Paths that were missing and took their default. */
  defaulted: string[];
}

type Path = (string | number)[];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function prefixed(issues: z.ZodError['issues'], path: Path): z.ZodError['issues'] {
  return issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] }));
}

function mergeObject(
  schema: z.ZodObject,
  defaults: Record<string, unknown>,
  raw: Record<string, unknown>,
  path: Path,
  root: unknown,
  out: RepairResult,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const fieldPath = [...path, key];
    if (!(key in raw) || raw[key] === undefined) {
      // An optional field left out is not missing (older notebooks predate it).
      if (defaults[key] === undefined && field.safeParse(undefined).success) continue;
      merged[key] = defaults[key];
      out.defaulted.push(formatPath(fieldPath));
      continue;
    }
    const value = raw[key];
    const parsed = field.safeParse(value);
    if (parsed.success) {
      merged[key] = parsed.data;
    } else if (
      field instanceof z.ZodObject &&
      isPlainObject(value) &&
      isPlainObject(defaults[key])
    ) {
      merged[key] = mergeObject(field, defaults[key], value, fieldPath, root, out);
    } else {
      // An optional field without a default is left out rather than set to undefined.
      if (defaults[key] !== undefined) merged[key] = defaults[key];
      for (const issue of describeIssues(prefixed(parsed.error.issues, fieldPath), root)) {
        out.dropped.push(`${issue} (default used)`);
      }
    }
  }
  for (const key of Object.keys(raw)) {
    if (!(key in schema.shape)) {
      out.dropped.push(
        ...describeIssues(
          [{ code: 'unrecognized_keys', keys: [key], path, message: '', input: raw }],
          root,
        ),
      );
    }
  }
  return merged;
}

function setAt(
  target: Record<string, unknown>,
  path: readonly PropertyKey[],
  value: unknown,
): void {
  let current: unknown = target;
  for (let i = 0; i < path.length - 1; i++) {
    if (!isPlainObject(current) && !Array.isArray(current)) return;
    current = (current as Record<PropertyKey, unknown>)[path[i] as PropertyKey];
  }
  if (isPlainObject(current) || Array.isArray(current)) {
    (current as Record<PropertyKey, unknown>)[path[path.length - 1] as PropertyKey] = value;
  }
}

function getAt(source: unknown, path: readonly PropertyKey[]): unknown {
  let current = source;
  for (const key of path) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * The defaults merged with every valid field of `raw`. Never throws: anything unusable is
 * replaced by its default and listed in `dropped`. A notebook from a newer version is read as
 * if it were the current one (its newer fields are dropped and listed).
 */
export function nearestValidNotebook(raw: unknown): RepairResult {
  const out: RepairResult = { notebook: defaultNotebook(), dropped: [], defaulted: [] };
  if (!isPlainObject(raw)) {
    out.dropped.push('the notebook: must be an object (the default notebook is used)');
    return out;
  }
  let source: Record<string, unknown> = raw;
  try {
    source = migrateNotebook(raw);
  } catch (error) {
    const reason = error instanceof NotebookError ? error.message : String(error);
    out.dropped.push(`version: ${reason} (read as version ${NOTEBOOK_VERSION})`);
    source = { ...raw, version: NOTEBOOK_VERSION };
  }
  const defaults = defaultNotebook();
  const merged = mergeObject(notebookSchema, defaults, source, [], source, out);

  // Rules that span fields (e.g. an address only for a remote engine) can still fail: reset the
  // object holding each failing field to its default, a few rounds at most.
  for (let round = 0; round < 5; round++) {
    const result = notebookSchema.safeParse(merged);
    if (result.success) {
      out.notebook = result.data;
      return out;
    }
    for (const issue of result.error.issues) {
      const holder = issue.path.slice(0, Math.max(1, issue.path.length - 1));
      for (const sentence of describeIssues([issue], merged)) {
        out.dropped.push(`${sentence} (${formatPath(holder)} reset to its default)`);
      }
      setAt(merged, holder, structuredClone(getAt(defaults, holder)));
    }
  }
  out.dropped.push('the notebook: could not be repaired (the default notebook is used)');
  out.notebook = defaultNotebook();
  return out;
}
