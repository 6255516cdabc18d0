// Messages between the page and the table-file worker (workers/tableFile.worker.ts). The rows
// come back in chunks: the page decodes each message in a task of its own, so that receiving a
// large file never blocks it for long either.
import type { DataErrorCode } from '../data/errors';
import type { TableFile, TableRow } from '../data/datasets/files';
import type { ColumnInfo } from '../data/datasets/mapping';

/** About this many bytes of the file's rows per message (estimated from the file's size). */
export const ROW_CHUNK_BYTES = 1024 * 1024;
/** At most this many rows per message, however short the rows. */
export const ROW_CHUNK_MAX = 2000;

/** page → worker: read this file (under this name, for messages). */
export interface TableFileRequest {
  file: Blob;
  name: string;
}

/** A failure, as plain data: a DataError keeps its code, message and details. */
export type PlainReadError =
  | { kind: 'data'; code: DataErrorCode; message: string; details: string[] }
  | { kind: 'other'; message: string };

/** worker → page: some rows, in order; then `done` or `error` ends the read. */
export type TableFileMessage =
  | { type: 'rows'; rows: TableRow[] }
  | { type: 'done'; table: Omit<TableFile, 'rows'>; columns: ColumnInfo[] }
  | { type: 'error'; error: PlainReadError };

/** Rows per message for a file of `bytes` holding `rowCount` rows. */
export function rowsPerChunk(bytes: number, rowCount: number): number {
  const bytesPerRow = bytes / Math.max(1, rowCount);
  return Math.max(1, Math.min(ROW_CHUNK_MAX, Math.floor(ROW_CHUNK_BYTES / bytesPerRow)));
}
