// Training progress for display: what the trainer reports on the job (iwsi.progress) in
// camelCase, with the completed fraction and a readable ETA.

import type { FineTuningJob, JobEvent, JobStatus } from './protocol';

export interface TrainingProgress {
  status: JobStatus;
  step: number | null;
  totalSteps: number | null;
  /** step / totalSteps, 1 once the job succeeded, null before the first step. */
  fraction: number | null;
  epoch: number | null;
  trainLoss: number | null;
  validLoss: number | null;
  learningRate: number | null;
  etaSeconds: number | null;
}

export function trainingProgress(job: FineTuningJob): TrainingProgress {
  const p = job.iwsi.progress;
  const step = p.step ?? null;
  const total = p.total_steps ?? null;
  let fraction = step !== null && total ? step / total : null;
  if (job.status === 'succeeded') fraction = 1;
  return {
    status: job.status,
    step,
    totalSteps: total,
    fraction,
    epoch: p.epoch ?? null,
    trainLoss: p.train_loss ?? null,
    validLoss: p.valid_loss ?? null,
    learningRate: p.learning_rate ?? null,
    etaSeconds: job.status === 'running' ? (p.eta_seconds ?? null) : null,
  };
}

/**
 * The (step, training loss) points of metrics events, for a loss curve, in step order. A job
 * resumed after a trainer restart repeats the steps after its last checkpoint: the later report
 * of a step replaces the earlier one.
 */
export function lossCurve(events: readonly JobEvent[]): { step: number; loss: number }[] {
  const byStep = new Map<number, number>();
  for (const event of events) {
    const { step, train_loss: loss } = event.data;
    if (event.type === 'metrics' && typeof step === 'number' && typeof loss === 'number') {
      byStep.set(step, loss);
    }
  }
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, loss]) => ({ step, loss }));
}

/** "42s", "3m05s", "2h07m". */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
