// Local D_q / D_v files read in the table-file worker: the same table and column summary as the
// data layer's reader on the page, the same errors, a clear message when the worker cannot start
// or dies, and a page that stays responsive while a large file is read.
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { readTableFile } from '../../src/data/datasets/files';
import { describeColumns } from '../../src/data/datasets/mapping';
import { DataError } from '../../src/data/errors';
import { FileReaderError, readTableFileOffPage } from '../../src/ui/tableFileClient';
import { ROW_CHUNK_MAX } from '../../src/ui/tableFileProtocol';

/** Reading the large file on the page itself blocks it for longer than this. */
const TASK_BUDGET_MS = 200;

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`not an Error: ${String(error)}`);
  }
  throw new Error('expected the read to fail');
}

async function sameAsOnPage(file: File): Promise<void> {
  const direct = await readTableFile(file, file.name);
  const viaWorker = await readTableFileOffPage(file);
  expect(viaWorker.table).toEqual(direct);
  expect(viaWorker.columns).toEqual(describeColumns(direct));
}

/** A worker started from source text (a module that fails in a chosen way). */
function workerFrom(source: string): () => Worker {
  return () => {
    const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    return new Worker(url, { type: 'module' });
  };
}

describe('reading a local file in the table-file worker', () => {
  it('gives the same JSONL, CSV and Parquet tables as the reader on the page', async () => {
    // More rows than one message holds, so that the rows come back in several chunks.
    const lines = Array.from({ length: ROW_CHUNK_MAX * 2 + 17 }, (_, i) =>
      JSON.stringify({ question: `q${i}`, answer: i % 7, tags: i % 3 === 0 ? ['x'] : null }),
    );
    await sameAsOnPage(new File([lines.join('\n')], 'many.jsonl'));
    await sameAsOnPage(
      new File(['question,answer\n"Two, ""quoted""",2\n"multi\nline",3\n'], 'set.csv'),
    );
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'question', data: ['one', 'two', 'three'], type: 'STRING' },
        { name: 'answer', data: [BigInt(3), BigInt(4), BigInt(5)], type: 'INT64' },
      ],
    });
    const viaWorker = await readTableFileOffPage(new File([parquet], 'set.parquet'));
    expect(viaWorker.table.format).toBe('parquet');
    expect(viaWorker.table.rows.map((r) => r.values)).toEqual([
      { question: 'one', answer: 3 },
      { question: 'two', answer: 4 },
      { question: 'three', answer: 5 },
    ]);
    await sameAsOnPage(new File([parquet], 'set.parquet'));
  });

  it('gives the reader’s own errors, every bad line numbered', async () => {
    const broken = new File(['{"q": 1}\n{"q": \nnot json\n[1]\n{"q": 2}\n'], 'data.jsonl');
    const direct = await failure(readTableFile(broken, broken.name));
    const viaWorker = await failure(readTableFileOffPage(broken));
    expect(direct).toBeInstanceOf(DataError);
    expect(viaWorker).toBeInstanceOf(DataError);
    expect((viaWorker as DataError).code).toBe('file-syntax');
    expect(viaWorker.message).toBe(direct.message);
    expect(viaWorker.message).toContain('line 2');
    expect((viaWorker as DataError).details).toEqual((direct as DataError).details);
    expect((viaWorker as DataError).details.length).toBe(3);

    const latin1 = new File([new Uint8Array([0x61, 0x0a, 0xe9, 0x0a])], 'latin1.csv');
    const notUtf8 = await failure(readTableFileOffPage(latin1));
    expect((notUtf8 as DataError).code).toBe('file-not-utf8');
    expect(notUtf8.message).toBe((await failure(readTableFile(latin1, latin1.name))).message);
  });

  it('says what happened when the reader cannot start, crashes or fails', async () => {
    const file = new File(['{"q": 1}\n'], 'data.jsonl');
    const notStarted = await failure(
      readTableFileOffPage(file, {
        startWorker: () => {
          throw new Error('workers are disabled');
        },
      }),
    );
    expect(notStarted).toBeInstanceOf(FileReaderError);
    expect(notStarted.message).toMatch(
      /^Reading data\.jsonl stopped: the file reader could not start \(workers are disabled\)\. .*Try a smaller file/,
    );

    const crashed = await failure(
      readTableFileOffPage(file, {
        startWorker: workerFrom(
          "self.onmessage = () => { throw new Error('Array buffer allocation failed'); };",
        ),
      }),
    );
    expect(crashed).toBeInstanceOf(FileReaderError);
    expect(crashed.message).toMatch(
      /^Reading data\.jsonl stopped: the file reader crashed \(.*Array buffer allocation failed\)\. Nothing was changed\. Try a smaller file/,
    );

    const failed = await failure(
      readTableFileOffPage(file, {
        startWorker: workerFrom(
          "self.onmessage = () => postMessage({ type: 'error', error: { kind: 'other', message: 'RangeError: Invalid string length' } });",
        ),
      }),
    );
    expect(failed.message).toBe(
      'Reading data.jsonl stopped: the file reader failed (RangeError: Invalid string length). Nothing was changed. Try a smaller file (keep only the rows and columns you need, or split it), or reload the page and try again.',
    );
  });

  it('keeps the page responsive while a large file is read', async () => {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 20 * 1024 * 1024; i++) {
      // Short rows: many of them, so that parsing on the page is clearly over the budget.
      const line = `{"question":"${i} apples?","answer":${i % 97},"rationale":"Step."}\n`;
      parts.push(line);
      size += line.length;
    }
    const file = new File(parts, 'large.jsonl');
    parts.length = 0;

    const longTasks: { start: number; duration: number }[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    });
    observer.observe({ type: 'longtask' });
    /** The longest main-thread task that started while `read` ran. */
    const longestDuring = async (read: () => Promise<unknown>): Promise<number> => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = performance.now();
      await read();
      const ended = performance.now();
      // Long-task entries are delivered after their task: let them arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const entry of observer.takeRecords()) {
        longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
      const during = longTasks.filter((t) => t.start >= started - 1 && t.start <= ended);
      return Math.max(0, ...during.map((t) => t.duration));
    };

    // Best of three for each way, alternating: on a loaded machine any task can be stretched by
    // the scheduler, and the shortest of three is the way's own cost.
    let viaWorker: Awaited<ReturnType<typeof readTableFileOffPage>> | undefined;
    let direct: Awaited<ReturnType<typeof readTableFile>> | undefined;
    const workerTimes: number[] = [];
    const pageTimes: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      workerTimes.push(
        await longestDuring(async () => (viaWorker = await readTableFileOffPage(file))),
      );
      pageTimes.push(
        await longestDuring(async () => (direct = await readTableFile(file, file.name))),
      );
    }
    observer.disconnect();
    const workerLongest = Math.min(...workerTimes);
    const pageLongest = Math.min(...pageTimes);
    console.log(
      `${(file.size / 2 ** 20).toFixed(1)} MiB, ${direct?.rows.length} rows: longest main-thread task ${workerTimes.map((t) => t.toFixed(0)).join(' / ')} ms through the worker, ${pageTimes.map((t) => t.toFixed(0)).join(' / ')} ms on the page`,
    );

    expect(viaWorker?.table.sha256).toBe(direct?.sha256);
    expect(viaWorker?.table.rows.length).toBe(direct?.rows.length);
    expect(viaWorker?.table.rows.at(-1)).toEqual(direct?.rows.at(-1));
    // Side by side in one run (a loaded machine slows both): the page blocks past the budget when
    // it reads the file itself, and through the worker its longest task is under half of that.
    expect(pageLongest).toBeGreaterThan(TASK_BUDGET_MS);
    expect(workerLongest).toBeLessThan(pageLongest / 2);
  }, 180_000);
});
