// The Train and Evaluate cells' link to a trainer endpoint (the reference trainer in trainer/,
// or any server speaking its protocol): connect, upload the kept set, start LoRA fine-tuning
// from the notebook's trainer settings, follow its progress and loss, and evaluate the base and
// the fine-tuned model there. The address and token are local to this tab: never in a link.
// The trainer client is loaded on first use.
import type { Recipe } from '../../core/notebook';
import { getTask } from '../../core/tasks/registry';
import { toyArithSplit } from '../../core/tasks/toyArithData';
import type {
  EndpointCheck,
  EvaluationItem,
  EvaluationScore,
  FineTuningJob,
  TrainerClient,
  TrainingProgress,
} from '../../trainer';
import { runState } from './app.svelte';

type TrainerModule = typeof import('../../trainer');

let trainerModule: Promise<TrainerModule> | null = null;
function loadTrainer(): Promise<TrainerModule> {
  trainerModule ??= import('../../trainer');
  return trainerModule;
}

export interface EvaluationRow {
  label: string;
  model: string;
  score: EvaluationScore;
}

class TrainerState {
  baseUrl = $state('http://127.0.0.1:8765');
  token = $state('');
  connecting = $state(false);
  connection = $state.raw<EndpointCheck | null>(null);
  error = $state.raw<string | null>(null);
  /** The trainer model to fine-tune (one the trainer serves). */
  model = $state('');
  job = $state.raw<FineTuningJob | null>(null);
  progress = $state.raw<TrainingProgress | null>(null);
  losses = $state.raw<{ step: number; loss: number }[]>([]);
  busy = $state(false);
  evaluations = $state.raw<EvaluationRow[]>([]);
  evaluating = $state<string | null>(null);
  private client: TrainerClient | null = null;
  private abort: AbortController | null = null;

  async connect(): Promise<void> {
    this.connecting = true;
    this.error = null;
    this.connection = null;
    try {
      const { TrainerClient } = await loadTrainer();
      const client = new TrainerClient({ baseUrl: this.baseUrl, token: this.token });
      const check = await client.checkEndpoint();
      this.client = client;
      this.connection = check;
      const models = check.version.capabilities.models.map((m) => m.id);
      if (!models.includes(this.model)) this.model = models[0] ?? '';
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.connecting = false;
    }
  }

  /** Upload the kept set of the run on screen and fine-tune on it, following the job. */
  async train(recipe: Recipe): Promise<void> {
    const client = this.client;
    const run = runState.run;
    if (!client || !run || this.busy) return;
    this.busy = true;
    this.error = null;
    this.losses = [];
    this.progress = null;
    this.job = null;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const trainer = await loadTrainer();
      const exported = await runState.exportFiles({
        recipe,
        formats: ['trl-prompt-completion'],
        includeWeight: true,
        eosToken: run.model?.eosToken ?? '',
        createdAt: new Date().toISOString(),
        createdBy: 'iwsi-playground 0.1.0 (browser)',
      });
      const file = exported.files.find((f) => f.name.endsWith('.jsonl'));
      if (!file || exported.kept === 0) {
        throw new Error('The filter keeps no candidate: there is nothing to train on.');
      }
      const uploaded = await client.uploadFile(file.text, file.name, abort.signal);
      const request = trainer.supervisedJobRequest({
        model: this.model,
        trainingFileId: uploaded.id,
        settings: recipe.trainer,
        lossMode: recipe.lossMode,
        recipe,
      });
      const job = await client.createJob(request, abort.signal);
      this.job = job;
      const events: Parameters<typeof trainer.lossCurve>[0][number][] = [];
      const finished = await client.watchJob(job.id, {
        signal: abort.signal,
        onJob: (current) => {
          this.job = current;
          this.progress = trainer.trainingProgress(current);
        },
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'metrics') this.losses = trainer.lossCurve(events);
        },
      });
      this.job = finished;
      if (finished.status !== 'succeeded') {
        this.error = finished.error?.message ?? `The job ${finished.status}.`;
      }
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
      this.abort = null;
    }
  }

  async cancel(): Promise<void> {
    const job = this.job;
    this.abort?.abort();
    if (this.client && job && !['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      try {
        this.job = await this.client.cancelJob(job.id);
      } catch (error) {
        this.error = error instanceof Error ? error.message : String(error);
      }
    }
  }

  /** Accuracy of a trainer model on the recipe's test slice (greedy, the notebook's prompt). */
  async evaluate(recipe: Recipe, model: string, label: string, limit: number): Promise<void> {
    const client = this.client;
    if (!client || this.evaluating) return;
    this.evaluating = label;
    this.error = null;
    try {
      const trainer = await loadTrainer();
      const task = getTask(recipe.task);
      const items = await evaluationItems(recipe, limit);
      const exemplars = recipe.prompt.exemplars ?? task.defaultExemplars;
      const { outputs } = await client.runEvaluation(
        trainer.evaluationRequest({
          model,
          task,
          items,
          exemplars,
          maxTokens: recipe.evaluation.maxTokens,
          mode: recipe.extractionMode,
        }),
      );
      const score = trainer.scoreEvaluation(
        task,
        items,
        outputs.map((o) => o.text),
        recipe.extractionMode,
        runState.run?.model?.eosToken,
      );
      this.evaluations = [
        ...this.evaluations.filter((e) => e.label !== label),
        { label, model, score },
      ];
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.evaluating = null;
    }
  }
}

/** The recipe's test slice (toy-arith: generated here; Hub tasks: through the data layer). */
export async function evaluationItems(recipe: Recipe, limit: number): Promise<EvaluationItem[]> {
  const { split, slice } = recipe.evaluation;
  if (recipe.task === 'toy-arith') {
    return toyArithSplit(split === 'train' || split === 'validation' ? split : 'test')
      .slice(slice.start, slice.end ?? undefined)
      .slice(0, limit)
      .map((item) => ({ question: item.question, gold: String(item.answer) }));
  }
  const { loadRecipeQuestions } = await import('../../data/datasets/recipe');
  const loaded = await loadRecipeQuestions({
    ...recipe,
    // The task's own test split, even when D_q comes from a file.
    dataset: { ...recipe.dataset, split, slice, file: null },
  });
  return loaded.questions.slice(0, limit).map((q) => ({ question: q.question, gold: q.gold }));
}

export const trainerState = new TrainerState();
