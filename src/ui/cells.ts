// The notebook's stages, top to bottom: what each cell does, in one sentence.

export interface CellInfo {
  id: string;
  title: string;
  summary: string;
}

export const NOTEBOOK_CELLS: readonly CellInfo[] = [
  {
    id: 'setup',
    title: 'Setup',
    summary:
      'Choose the engine (web-llm on WebGPU, transformers.js on WebGPU or wasm, or a remote OpenAI-compatible server) and the model; see its memory needs, download progress and the browser’s capabilities.',
  },
  {
    id: 'dataset',
    title: 'Dataset',
    summary:
      'Pick the task (gsm8k, SVAMP, ANLI, OpenBookQA, StrategyQA or the offline toy-arith), its split and slice, and the small validation set D_v with human rationales.',
  },
  {
    id: 'prompt',
    title: 'Prompt',
    summary:
      'Edit the three few-shot chain-of-thought exemplars and preview the exact prompt text sent to the model.',
  },
  {
    id: 'generate',
    title: 'Generate',
    summary:
      'Sample m rationales per question at temperature T (the paper: 15 at 1.1), streamed live, with tokens/s, ETA, pause, resume and cancel.',
  },
  {
    id: 'vote',
    title: 'Vote',
    summary:
      'Extract each answer, majority-vote per question (self-consistency) and keep the consistent rationales: the set D_c.',
  },
  {
    id: 'score',
    title: 'Score',
    summary:
      'Compute the SFT loss of every candidate and of the validation set under the base model, in the browser.',
  },
  {
    id: 'filter',
    title: 'Weigh & filter',
    summary:
      'Turn losses into distribution-shift (DS) weights and keep the k% least shifted samples: D_ds. Drag k and watch the threshold move.',
  },
  {
    id: 'compare',
    title: 'Compare',
    summary:
      'Set IWSI beside the baselines (LMSI, entropy, self-evaluation, reward model): kept counts, overlaps and accuracy when gold answers are known.',
  },
  {
    id: 'analyse',
    title: 'Analyse',
    summary:
      'The paper’s analyses, live: correctness per DS interval, highest- vs lowest-DS rationales, D_v vs generated samples before and after filtering.',
  },
  {
    id: 'export',
    title: 'Export',
    summary:
      'Download D_ds in the formats trainers read (TRL, OpenAI, Alpaca, preference pairs) with a manifest of the full recipe.',
  },
  {
    id: 'train',
    title: 'Train',
    summary:
      'Send a LoRA fine-tuning (or SPIN self-play) job to an attached GPU trainer endpoint and follow its progress.',
  },
  {
    id: 'evaluate',
    title: 'Evaluate',
    summary:
      'Compare the base and the trained model’s accuracy on the test split, in the shape of the paper’s table.',
  },
  {
    id: 'spin',
    title: 'SPIN',
    summary:
      'Self-play fine-tuning: the model answers prompts that have human references, the trainer teaches it to prefer the references, and each iteration starts from the last one’s model.',
  },
];
