// Watches a page's main thread for long tasks; shared by `npm run bench:ui` and
// `npm run bench:storage`. A classic script without imports, so it runs both as a Playwright
// init script (addInitScript({ path })) and as a module a bench page imports. Two measures:
//   - the browser's long-task entries (PerformanceObserver 'longtask': tasks over 50 ms);
//   - as a fallback where those are missing, the intervals of a 10 ms timer chain: a timer that
//     fires late waited for the thread, so the longest interval between firings bounds the
//     longest block from above (within one 10 ms tick).
(() => {
  const page = /** @type {{ mainThreadMonitor?: unknown }} */ (globalThis);
  if (page.mainThreadMonitor) return;
  /** @typedef {{ start: number, duration: number }} Span */
  /** @type {Span[]} */
  const tasks = [];
  /** @type {Span[]} */
  const intervals = [];
  const LONG_MS = 50;
  const TICK_MS = 10;
  // About half an hour of 10 ms ticks; older ones are dropped.
  const MAX_INTERVALS = 200_000;
  const longTaskSupported =
    typeof PerformanceObserver !== 'undefined' &&
    (PerformanceObserver.supportedEntryTypes ?? []).includes('longtask');
  if (longTaskSupported) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        tasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  }
  let last = performance.now();
  const onTick = () => {
    const now = performance.now();
    intervals.push({ start: last, duration: now - last });
    if (intervals.length > MAX_INTERVALS) intervals.splice(0, MAX_INTERVALS / 2);
    last = now;
    setTimeout(onTick, TICK_MS);
  };
  setTimeout(onTick, TICK_MS);

  /**
   * @param {Span[]} spans
   * @param {number} from
   * @param {number} to
   */
  const within = (spans, from, to) => spans.filter((s) => s.start >= from && s.start <= to);
  /** @param {Span[]} spans */
  const longest = (spans) => spans.reduce((max, s) => Math.max(max, s.duration), 0);

  page.mainThreadMonitor = {
    /**
     * What the main thread did between two performance.now() times.
     * @param {number} from
     * @param {number} to
     */
    report(from, to) {
      const inTasks = within(tasks, from, to);
      const inIntervals = within(intervals, from, to);
      return {
        longTaskSupported,
        longTasks: inTasks.length,
        longestTask: longest(inTasks),
        longGaps: inIntervals.filter((s) => s.duration > LONG_MS).length,
        longestGap: longest(inIntervals),
      };
    },
  };
})();
