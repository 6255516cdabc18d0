// Browser only: starts a scoring pool worker (bundled by Vite as a nested worker of the engine
// worker).
import type { PoolWorker } from './scorePool';

export function spawnScoreWorker(): PoolWorker {
  return new Worker(new URL('../../../workers/scorePool.worker.ts', import.meta.url), {
    type: 'module',
    name: 'score-pool',
  }) as PoolWorker;
}
