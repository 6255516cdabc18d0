// A scoring pool worker, started by the engine worker (src/engine/backends/scorePool.ts): one
// copy of the model on one wasm thread, scoring the batches it is sent.
import { serveScorePool } from '../src/engine/backends/scorePoolWorker';

serveScorePool(self);
