// The page's side of the table-file worker: one worker per read, so that a large D_q / D_v file
// is read (bytes, SHA-256, UTF-8, parse, column summary) off the main thread. A DataError comes
// back with its code, message and details, so messages read exactly as the reader wrote them; a
// worker that cannot start or dies gives a message saying so and what to do.
import type { TableFile, TableRow } from '../data/datasets/files';
import type { ColumnInfo } from '../data/datasets/mapping';
import { DataError } from '../data/errors';
import type { PlainReadError, TableFileMessage, TableFileRequest } from './tableFileProtocol';

/** A file read off the page, with its columns described. */
export interface ReadTable {
  table: TableFile;
  columns: ColumnInfo[];
}

/** The reader's worker could not start, died, or failed outside the reader's own checks. */
export class FileReaderError extends Error {
  override name = 'FileReaderError';
}

export interface ReadOffPageOptions {
  /** Starts the worker (tests pass one that fails). */
  startWorker?: () => Worker;
}

function startTableFileWorker(): Worker {
  return new Worker(new URL('../../workers/tableFile.worker.ts', import.meta.url), {
    type: 'module',
    name: 'table-file',
  });
}

const WHAT_TO_DO =
  'Nothing was changed. Try a smaller file (keep only the rows and columns you need, or split it), or reload the page and try again.';

function stopped(name: string, why: string): FileReaderError {
  return new FileReaderError(`Reading ${name} stopped: ${why}. ${WHAT_TO_DO}`);
}

function errorFrom(error: PlainReadError, name: string): Error {
  if (error.kind === 'data')
    return new DataError(error.code, error.message, { details: error.details });
  return stopped(name, `the file reader failed (${error.message})`);
}

/**
 * Reads a local table file in a worker and describes its columns: the same `readTableFile` and
 * `describeColumns` as on the page, with the same errors.
 */
export function readTableFileOffPage(
  file: File,
  options: ReadOffPageOptions = {},
): Promise<ReadTable> {
  const name = file.name;
  let worker: Worker;
  try {
    worker = (options.startWorker ?? startTableFileWorker)();
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return Promise.reject(stopped(name, `the file reader could not start (${detail})`));
  }
  return new Promise<ReadTable>((resolve, reject) => {
    const rows: TableRow[] = [];
    const finish = (outcome: () => void): void => {
      worker.terminate();
      outcome();
    };
    worker.addEventListener('message', (event: MessageEvent<TableFileMessage>) => {
      const message = event.data;
      if (message.type === 'rows') {
        for (const row of message.rows) rows.push(row);
      } else if (message.type === 'done') {
        finish(() => resolve({ table: { ...message.table, rows }, columns: message.columns }));
      } else {
        finish(() => reject(errorFrom(message.error, name)));
      }
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      const detail = event.message || 'it may have run out of memory';
      finish(() => reject(stopped(name, `the file reader crashed (${detail})`)));
    });
    worker.addEventListener('messageerror', () => {
      finish(() => reject(stopped(name, 'the file reader sent an answer the page could not read')));
    });
    worker.postMessage({ file, name } satisfies TableFileRequest);
  });
}
