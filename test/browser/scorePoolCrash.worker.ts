// A scoring pool worker that crashes: it loads the model and scores its first batch like any pool
// worker (serveScorePool), then dies of an uncaught error on its second batch.
import type { PoolRequest } from '../../src/engine/backends/scorePool';
import { serveScorePool } from '../../src/engine/backends/scorePoolWorker';

let batches = 0;
self.addEventListener('message', (event: MessageEvent) => {
  if ((event.data as PoolRequest).type !== 'score' || ++batches < 2) return;
  event.stopImmediatePropagation();
  throw new Error('crashed on purpose');
});
serveScorePool(self);
