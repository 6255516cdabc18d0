// What each cell does, for a class: a few plain sentences and the formulas of the method
// (docs: the method specification), rendered by KaTeX in teaching mode.

export interface Formula {
  tex: string;
  /** One sentence saying what the formula is. */
  caption: string;
}

export interface Explanation {
  paragraphs: string[];
  formulas: Formula[];
}

export const EXPLANATIONS: Readonly<Record<string, Explanation>> = {
  setup: {
    paragraphs: [
      'Everything in IWSI is done by one pre-trained base model M_L: it writes the candidate rationales and it scores them. No stronger teacher model and no human labels for the training questions are used.',
      'The embedded toy-arith model ships with the page, so a class can run the whole method offline in a few minutes. Larger models are downloaded once into the browser’s cache.',
      'Its sibling, toy-arith-misconception, also ships with the page. Its greedy answers add what was given away, while most of its samples subtract, so its majority vote is right far more often than its greedy answer. Fine-tuned on its own voted answers (with the clean loss text), it stops adding: the self-improvement the method is about, in a few minutes.',
    ],
    formulas: [],
  },
  dataset: {
    paragraphs: [
      'D_q is a set of unlabeled questions: their answers are never used for training. D_v is a tiny validation set of questions with human-written rationales (at most 5% of the training split). D_v is the only human supervision IWSI needs: it tells the method what the target distribution looks like.',
    ],
    formulas: [
      {
        tex: 'D_q = \\{q_1, \\dots, q_N\\}, \\qquad D_v = \\{(q_v, r_v)\\}_{v=1}^{N_v}, \\quad N_v \\le 0.05\\,|\\text{train}|',
        caption: 'Unlabeled questions and the small validation set with reference rationales.',
      },
    ],
  },
  prompt: {
    paragraphs: [
      'The model is asked with a few-shot chain-of-thought prompt: three worked exemplars, each ending in “The answer is X.”, then the new question. The preview shows the exact text the model receives.',
    ],
    formulas: [
      {
        tex: '\\text{prompt}(q) = e_1 \\,\\texttt{\\textbackslash n}\\, e_2 \\,\\texttt{\\textbackslash n}\\, e_3 \\,\\texttt{\\textbackslash n}\\, \\texttt{Q: } q \\,\\texttt{\\textbackslash n}\\, \\texttt{A: }',
        caption: 'Exemplars joined with line breaks, then the question and the answer cue.',
      },
    ],
  },
  generate: {
    paragraphs: [
      'For every question the model samples m candidate rationales at temperature T (the paper: m = 15, T = 1.1, no top-p or top-k). A higher temperature flattens the distribution, so the candidates differ more. Each candidate is cut at the next “Q:” and cleaned.',
    ],
    formulas: [
      {
        tex: "y_{i,1}, \\dots, y_{i,m} \\sim p_T(\\cdot \\mid \\text{prompt}(q_i)), \\qquad p_T(t) = \\frac{\\exp(z_t / T)}{\\sum_{t'} \\exp(z_{t'} / T)}",
        caption: 'm samples per question from the temperature-scaled softmax of the logits z.',
      },
    ],
  },
  vote: {
    paragraphs: [
      'Self-consistency: the answer each candidate ends with is extracted, and the most frequent answer of a question wins (the first one seen wins a tie). Candidates that agree with it are marked 1 and form D_c, the data LMSI trains on. Candidates with no readable answer do not vote.',
    ],
    formulas: [
      {
        tex: 'a_i^{*} = \\arg\\max_a \\#\\{j : a(y_{i,j}) = a\\}, \\qquad \\text{mark}_{i,j} = \\mathbb{1}[a(y_{i,j}) = a_i^{*}]',
        caption: 'The majority answer and the self-consistency mark.',
      },
    ],
  },
  score: {
    paragraphs: [
      'Every candidate and every D_v item is scored by the base model: L is the mean negative log-likelihood of its tokens. The scored text is “Q: question\\nA: ” then the EOS token then the rationale (a quirk of the official code; the clean mode scores the rationale tokens only).',
    ],
    formulas: [
      {
        tex: 'L(x) = -\\frac{1}{|x|} \\sum_{t=1}^{|x|} \\log p(x_t \\mid x_{<t}), \\qquad L_v = \\frac{1}{N_v} \\sum_{v=1}^{N_v} L(x_v)',
        caption: 'The loss of one text and the mean loss of the validation set.',
      },
    ],
  },
  filter: {
    paragraphs: [
      'The importance weight compares a candidate’s loss with the validation set’s. DS (distribution shift) is 1 when a candidate looks like D_v and grows up to 5 when it is either too easy (much lower loss) or too strange (much higher loss). IWSI sorts all DS values and keeps the k share with the smallest DS: D_ds. The paper recommends k ≈ 80%.',
    ],
    formulas: [
      {
        tex: "w'_i = \\operatorname{clip}\\!\\left(\\frac{L_v}{L_i}, 0, 2\\right), \\qquad w_i = \\text{mark}_i \\cdot w'_i",
        caption: 'The importance weight (0 for candidates outside the majority).',
      },
      {
        tex: '\\mathrm{DS}_i = \\begin{cases} w_i & w_i > 1 \\\\ \\min(1/w_i,\\, 5) & 0 < w_i \\le 1 \\end{cases}',
        caption: 'Distribution shift: in [1, 5], 1 = looks like the validation set.',
      },
      {
        tex: '\\sigma_{k} = S_{\\lfloor kN \\rfloor}, \\qquad D_{ds} = \\{ i : \\mathrm{DS}_i < \\sigma_k \\}',
        caption:
          'One global ranking S of the N defined DS values; ties at the threshold are dropped.',
      },
    ],
  },
  compare: {
    paragraphs: [
      'Every baseline reuses the same candidates and marks. LMSI keeps all majority-consistent candidates. The entropy filter drops questions whose answers are too spread out. The self filter asks the base model to rate each candidate; the RM filter asks a reward model. When the gold answers are known, the accuracy of each kept set shows how much wrong reasoning it lets through.',
    ],
    formulas: [
      {
        tex: 'H_i = -\\sum_a p_a \\ln p_a, \\qquad \\text{keep question } i \\iff \\frac{H_i}{\\ln(\\text{total}_i)} \\le u',
        caption: 'The entropy filter (questions with one parseable candidate are dropped).',
      },
      {
        tex: 'J(A, B) = \\frac{|A \\cap B|}{|A \\cup B|}',
        caption: 'Overlap of two kept sets (Jaccard index).',
      },
    ],
  },
  analyse: {
    paragraphs: [
      'The paper’s analyses, live on this run. Correctness falls as DS rises, yet correct and incorrect answers occur in every DS interval: DS and correctness are partly independent, which is why IWSI helps on top of self-consistency. High-DS rationales are often redundant, skip steps, or reach the right answer by wrong reasoning.',
      'The projection places every text by simple features (length, digits, operators, word statistics) reduced to two dimensions by PCA, computed in a worker. It is a cheap stand-in for the paper’s embedding plot, not the same picture.',
    ],
    formulas: [
      {
        tex: '\\text{share}_b = \\frac{\\#\\{\\text{correct},\\ \\mathrm{DS} \\in b\\}}{\\#\\{\\mathrm{DS} \\in b\\}}, \\quad b \\in \\{[1,1.1), [1.1,1.3), [1.3,1.5), [1.5,2), [2,3), [3,5]\\}',
        caption: 'Correctness share per DS interval.',
      },
    ],
  },
  export: {
    paragraphs: [
      'The kept set is written in the formats trainers read, with a manifest that holds the full recipe and a checksum of every file, so any exported file can be traced back to this notebook.',
    ],
    formulas: [],
  },
  train: {
    paragraphs: [
      'Training happens on a GPU trainer endpoint: LoRA fine-tuning of the base model on the kept set (r = 64, α = 16, 4 epochs, learning rate 3·10⁻⁴, cosine schedule), or SPIN self-play.',
    ],
    formulas: [
      {
        tex: '\\mathcal{L}_{\\text{SFT}} = \\frac{1}{|D_{ds}|} \\sum_{x \\in D_{ds}} L(x)',
        caption: 'Fine-tuning minimises the same loss on the kept set.',
      },
    ],
  },
  evaluate: {
    paragraphs: [
      'Accuracy is measured with greedy decoding and the same few-shot prompt: numeric answers compare as whole numbers, choice answers by letter.',
    ],
    formulas: [
      {
        tex: '\\text{acc} = \\frac{1}{|T|} \\sum_{(q, a) \\in T} \\mathbb{1}\\left[a(\\operatorname{greedy}(q)) = a\\right]',
        caption: 'Accuracy on the test split T.',
      },
    ],
  },
  spin: {
    paragraphs: [
      'SPIN (self-play fine-tuning) needs prompts with human reference responses. In iteration t the model of iteration t − 1 answers every prompt itself; its answer y′ is the “generated” side of a pair, the human reference y the “real” side. The trainer then teaches the model to raise the likelihood of y and lower that of y′, measured against the frozen model it started from, so the model learns to tell its own answers from human ones until it can no longer.',
      'Iteration 0 starts from the base model; every later iteration starts from the last one’s model and trains on its own pairs plus the previous iteration’s. The official settings: temperature 1.0, 256 new tokens, β = 0.1 (5.0 in iteration 3), RMSprop with learning rate 5·10⁻⁷ (10⁻⁷ from iteration 2).',
    ],
    formulas: [
      {
        tex: "\\ell = -\\log \\sigma\\Big(\\beta \\Big[\\log \\frac{\\pi_\\theta(y \\mid x)}{\\pi_t(y \\mid x)} - \\log \\frac{\\pi_\\theta(y' \\mid x)}{\\pi_t(y' \\mid x)}\\Big]\\Big)",
        caption:
          'The SPIN loss of one pair: y the human reference, y′ the model’s own response, π_t the frozen model of the previous iteration.',
      },
    ],
  },
};
