// The one rule that names a dataset's rows for the runner. Seeds derive from these names
// (core deriveSeed(seed, questionId)), so every path that turns stored or loaded rows into run
// inputs — the CLI and its bundles, the browser's run catalog, the Hub loader of the UI — must
// use this rule, or the same question would get other candidates depending on where it ran.

/** What the rule reads of a question or D_v item: its row in the source split and the row. */
export interface IdentifiedRow {
  row: number;
  raw: Record<string, unknown>;
}

/** A row's own "id" field as text (a non-empty string or a finite number), else null. */
function ownId(raw: Record<string, unknown>): string | null {
  const id = raw.id;
  if (typeof id === 'string') return id === '' ? null : id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return null;
}

/**
 * The runner ids of a dataset's rows, in order: each row's own "id" field (a number as its
 * decimal text), or its row number where it has none — unless two rows would then share an id
 * (duplicate ids, or an id that equals another row's number), in which case every row is named
 * by its row number. Either way the ids are unique within the dataset.
 */
export function rowIds(rows: readonly IdentifiedRow[]): string[] {
  const own = rows.map((r) => ownId(r.raw) ?? String(r.row));
  return new Set(own).size === own.length ? own : rows.map((r) => String(r.row));
}
