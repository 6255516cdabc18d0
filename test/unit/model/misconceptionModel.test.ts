// The second embedded model, toy-arith-misconception, as committed under public/models: it loads
// offline through the engine, its greedy decoding carries the misconception it was built with
// (a taking-away step adds: "so 32 + 9 = 41"), while its samples at the method's temperature
// mostly subtract, which is what majority voting and then fine-tuning can correct.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPrompt } from '../../../src/core/tasks/task';
import { toyArith } from '../../../src/core/tasks/toyArith';
import { toyArithSplit } from '../../../src/core/tasks/toyArithData';
import { TransformersEngine } from '../../../src/engine/backends/transformers';
import { MISCONCEPTION_MODEL_ID, isEmbeddedModel, modelChoice } from '../../../src/ui/models';

const MODELS = resolve('public/models');
const STOP = ['\nQ:'];
/** A subtraction step of a rationale: "32 - 9 = 23". */
const SUBTRACTION = /(\d+) - (\d+) = \d+/;

const QUESTIONS = 10;
/** Test questions with a taking-away step and no multiplication before it. */
const takingAway = toyArithSplit('test')
  .filter((item) => SUBTRACTION.test(item.rationale) && !item.rationale.includes(' * '))
  .slice(0, QUESTIONS);

/** How an answer writes the reference's first taking-away step ("T - N"), if it writes it. */
function firstStep(rationale: string, answer: string): 'adding' | 'subtracting' | null {
  const [, total, given] = SUBTRACTION.exec(rationale)!;
  if (answer.includes(`${total} + ${given} = `)) return 'adding';
  if (answer.includes(`${total} - ${given} = `)) return 'subtracting';
  return null;
}

let engine: TransformersEngine;

beforeAll(async () => {
  engine = new TransformersEngine();
  await engine.load({
    kind: 'transformers',
    modelId: MISCONCEPTION_MODEL_ID,
    modelBaseUrl: MODELS,
  });
});

afterAll(async () => {
  await engine?.unload();
});

describe('the embedded misconception model', () => {
  it('is offered by the Setup cell as an embedded model with its build figures', () => {
    expect(isEmbeddedModel(MISCONCEPTION_MODEL_ID)).toBe(true);
    expect(modelChoice('transformers', MISCONCEPTION_MODEL_ID)?.downloadBytes).toBe(0);
    const info = JSON.parse(
      readFileSync(resolve(MODELS, MISCONCEPTION_MODEL_ID, 'training_info.json'), 'utf8'),
    ) as {
      model_id: string;
      training: { misconception_share: number };
      evaluation: { greedy_accuracy: number; majority_vote_accuracy: number };
    };
    expect(info.model_id).toBe(MISCONCEPTION_MODEL_ID);
    expect(info.training.misconception_share).toBe(0.3);
    // Voting corrects what greedy decoding gets wrong: the room the loop needs.
    expect(info.evaluation.majority_vote_accuracy).toBeGreaterThan(
      info.evaluation.greedy_accuracy + 0.3,
    );
  });

  it('adds on most taking-away steps when decoding greedily', async () => {
    expect(takingAway).toHaveLength(QUESTIONS);
    const steps = { adding: 0, subtracting: 0 };
    for (const item of takingAway) {
      const prompt = buildPrompt(toyArith, item.question);
      const answer = await engine.greedy(prompt, { maxTokens: 120, stop: STOP });
      const writes = firstStep(item.rationale, answer.text);
      if (writes) steps[writes] += 1;
    }
    // Built figures: 27% greedy accuracy on the test split, against 76% for maj@15.
    expect(steps.adding).toBeGreaterThanOrEqual(7);
    expect(steps.adding).toBeGreaterThan(2 * steps.subtracting);
  });

  it('mostly subtracts in its samples at T = 1.1, so the vote can be right', async () => {
    const steps = { adding: 0, subtracting: 0 };
    for (const item of takingAway.slice(0, 3)) {
      const prompt = buildPrompt(toyArith, item.question);
      const samples = await engine.sample(prompt, {
        n: 15,
        temperature: 1.1,
        maxTokens: 120,
        stop: STOP,
        seed: 7,
      });
      for (const sample of samples) {
        const writes = firstStep(item.rationale, sample.text);
        if (writes) steps[writes] += 1;
      }
    }
    expect(steps.subtracting).toBeGreaterThan(steps.adding);
  });
});
