// Cells off screen are skipped by the browser (content-visibility: auto), so each one is laid out
// the first time it comes near the viewport — often while a run streams candidates. A cell's
// first layout is also the first use of its fonts at their sizes, which on Linux costs a
// synchronous font-configuration lookup per font and size (tens to hundreds of milliseconds).
// Laying every cell out once while the page is idle moves that cost out of the run.

const idle = (callback: () => void): void => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(callback, { timeout: 2000 });
  else setTimeout(callback, 50);
};

/** Lays the page's cells out one per idle period; returns a function that stops it. */
export function warmCellsWhenIdle(root: ParentNode = document): () => void {
  const cells = [...root.querySelectorAll<HTMLElement>('[data-testid="cell"]')];
  let stopped = false;
  const step = (): void => {
    const cell = cells.shift();
    if (stopped || !cell) return;
    cell.style.contentVisibility = 'visible';
    void cell.offsetHeight;
    cell.style.contentVisibility = '';
    idle(step);
  };
  idle(step);
  return () => {
    stopped = true;
  };
}
