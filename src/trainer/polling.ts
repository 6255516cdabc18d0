// Following a job until it finishes, shared by the reference trainer's client and the hosted
// adapters: poll, tolerate an outage (a trainer restarting) for a while, stop on a finished
// status or when the caller stops watching.
import { TrainerError } from './errors';
import { trainerMessages } from './messages';
import { FINISHED_STATUSES } from './protocol';

/** Error kinds a restarting or briefly unreachable endpoint gives; polling carries on. */
const TRANSIENT: readonly string[] = ['unreachable', 'timeout', 'server'];

export interface PollOptions {
  /** Poll interval in ms (default 1000). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** How long polls may fail with a transient error before giving up (default 60 s). */
  outageToleranceMs?: number;
  /** The error of each failed poll during an outage, then null once a poll succeeds again. */
  onOutage?: (error: TrainerError | null) => void;
}

/** Waits `ms`, or rejects with a "stopped watching" error when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      reject(new TrainerError('cancelled', trainerMessages.stoppedWatching()));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Calls `poll` (which reports what it saw) every interval until the job it returns has finished;
 * resolves with that job. Transient errors are tolerated for `outageToleranceMs`; others throw.
 */
export async function pollUntilFinished<J extends { status: string }>(
  poll: (signal?: AbortSignal) => Promise<J>,
  options: PollOptions,
): Promise<J> {
  const tolerance = options.outageToleranceMs ?? 60_000;
  let outageSince: number | null = null;
  for (;;) {
    try {
      const job = await poll(options.signal);
      if (outageSince !== null) options.onOutage?.(null);
      outageSince = null;
      if ((FINISHED_STATUSES as readonly string[]).includes(job.status)) return job;
    } catch (err) {
      if (!(err instanceof TrainerError) || !TRANSIENT.includes(err.kind)) throw err;
      outageSince ??= Date.now();
      if (Date.now() - outageSince > tolerance) throw err;
      options.onOutage?.(err);
    }
    await sleep(options.intervalMs ?? 1000, options.signal);
  }
}
