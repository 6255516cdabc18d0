// The Node side of bench/mainThreadMonitor.js: where the script is (for Playwright's
// addInitScript), reading its report from a page, and the lines the benchmarks print.
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';

/** The monitor script, to install with `page.addInitScript({ path: MAIN_THREAD_MONITOR })`. */
export const MAIN_THREAD_MONITOR = resolve(import.meta.dirname, 'mainThreadMonitor.js');

/** Tasks over this are "long" (the browser's own threshold, and the target for a run). */
export const LONG_TASK_MS = 50;

export interface MainThreadReport {
  longTaskSupported: boolean;
  /** Long-task entries (over 50 ms) in the window, and the longest of them (0: none). */
  longTasks: number;
  longestTask: number;
  /** Timer intervals over 50 ms, and the longest interval (an upper bound of any block). */
  longGaps: number;
  longestGap: number;
}

/** What the page's main thread did between two of its performance.now() times. */
export function mainThreadReport(page: Page, from: number, to: number): Promise<MainThreadReport> {
  return page.evaluate(
    ([start, end]) =>
      (
        globalThis as unknown as {
          mainThreadMonitor: { report(from: number, to: number): MainThreadReport };
        }
      ).mainThreadMonitor.report(start as number, end as number),
    [from, to],
  );
}

/**
 * The longest main-thread task as the benchmarks print it: the longest long-task entry, or,
 * when the browser reported none (every task under 50 ms) or cannot, the timer's bound.
 */
export function describeLongestTask(report: MainThreadReport): string {
  const gap = `longest timer interval ${report.longestGap.toFixed(0)} ms`;
  const target = `target ≤ ${LONG_TASK_MS} ms`;
  if (!report.longTaskSupported) {
    return `at most ${report.longestGap.toFixed(0)} ms (no long-task entries in this browser; ${gap}) (${target}, ratio ${(report.longestGap / LONG_TASK_MS).toFixed(2)})`;
  }
  if (report.longTasks === 0) {
    return `under ${LONG_TASK_MS} ms: no long task (${gap}) (${target})`;
  }
  return `${report.longestTask.toFixed(0)} ms, ${report.longTasks} long task(s) (${gap}) (${target}, ratio ${(report.longestTask / LONG_TASK_MS).toFixed(2)})`;
}
