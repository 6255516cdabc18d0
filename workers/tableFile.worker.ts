// The table-file worker: reads one local D_q / D_v file (JSONL, CSV, Parquet) with the data
// layer's own reader and describes its columns, so that a large file never freezes the page.
import { readTableFile } from '../src/data/datasets/files';
import { describeColumns } from '../src/data/datasets/mapping';
import { DataError } from '../src/data/errors';
import {
  rowsPerChunk,
  type PlainReadError,
  type TableFileMessage,
  type TableFileRequest,
} from '../src/ui/tableFileProtocol';

function post(message: TableFileMessage): void {
  (self as unknown as Worker).postMessage(message);
}

function plainError(error: unknown): PlainReadError {
  if (error instanceof DataError) {
    return { kind: 'data', code: error.code, message: error.message, details: error.details };
  }
  const message =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error ?? 'unknown error');
  return { kind: 'other', message };
}

async function read({ file, name }: TableFileRequest): Promise<void> {
  try {
    const { rows, ...table } = await readTableFile(file, name);
    const columns = describeColumns({ ...table, rows });
    const size = rowsPerChunk(table.bytes, rows.length);
    for (let start = 0; start < rows.length; start += size) {
      post({ type: 'rows', rows: rows.slice(start, start + size) });
    }
    post({ type: 'done', table, columns });
  } catch (error) {
    post({ type: 'error', error: plainError(error) });
  }
}

self.addEventListener('message', (event: MessageEvent<TableFileRequest>) => {
  void read(event.data);
});
