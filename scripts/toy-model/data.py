"""Training documents for the toy model, in the formats the method uses.

- Few-shot documents: "Q: <question>\\nA: <rationale>" blocks joined with "\\n", between <s> and
  </s> — what the method's few-shot prompt looks like, so that a prompt ending in
  "\\nQ: <question>\\nA: " is continued with a rationale and then the next "Q:" (or </s>).
  Half of them start with the task's three official exemplars, as every real prompt does.
- Loss-text documents: "<s>Q: <question>\\nA: </s><rationale>" (the method's §5 scoring format,
  with the EOS string between "A: " and the answer), so that scoring that text is meaningful.

For experiments (the shipped model uses neither): a share of the training items can be written in
a one-line style (`shortcut_share`, see `shortcut_rationale`), and taking-away steps can carry a
misconception (`misconceive`).
"""

import json
import random
import re

from tokenizer import BOS_ID, EOS_ID, Tokenizer

# The first items of the train split are never shown to the model during training: the app
# uses them as unlabeled questions (D_q), which should be new to the model.
HELD_OUT_TRAIN_ITEMS = 2000


def load_jsonl(path: str) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def block_text(item: dict) -> str:
    """One few-shot block: "Q: ...\\nA: <rationale>"."""
    return f"Q: {item['question']}\nA: {item['rationale']}"


def fewshot_prompt(exemplars: list, question: str) -> str:
    """The method's prompt (§2): exemplars joined with "\\n", then "\\nQ: " + question + "\\nA: "."""
    return "\n".join(block_text(e) for e in exemplars) + "\nQ: " + question + "\nA: "


EQUATION = re.compile(r"(\d+) ([-+*]) (\d+) = (\d+)")


def shortcut_rationale(item: dict) -> str:
    """The same problem solved in one line, without the intermediate totals:
    "So Sam has 4 * 8 - 9 = 23 rocks now. The answer is 23."

    For experiments only (build.py --shortcut-share; the shipped model uses none): a model
    trained on a mix of this step-skipping style and the step-by-step one, to see whether
    self-improvement moves it towards the more reliable style. What it did is recorded in
    docs/results-toy.md.
    """
    rationale = item["rationale"]
    equations = EQUATION.findall(rationale)
    first_sentence = rationale.split(". ")[0]
    if EQUATION.search(first_sentence):  # "Sam has 4 packs of 8 rocks, so … 4 * 8 = 32 rocks."
        a, _, b, _ = equations[0]
        expression, rest = f"{a} * {b}", equations[1:]
    else:  # "Sam starts with 12 rocks." / "At first Sam has 12 rocks."
        expression, rest = re.search(r"\d+", first_sentence).group(0), equations
    i = 0
    while i < len(rest):
        a, op, b, _ = rest[i]
        if op == "*":  # "buys 3 * 6 = 18 more, so 13 + 18 = 31": one term, two equations
            expression += f" + {a} * {b}"
            i += 2
        else:
            expression += f" {op} {b}"
            i += 1
    answer = item["answer"]
    if eval(expression) != answer:  # noqa: S307 (digits and + - * only, from our own generator)
        raise ValueError(f"shortcut {expression} != {answer} for {rationale!r}")
    name = item["question"].split(" ")[0]
    obj = re.search(r"How many (.+) does ", item["question"]).group(1)
    return f"So {name} has {expression} = {answer} {obj} now. The answer is {answer}."


STEP = re.compile(r"^(.*), so (\d+) ([-+]) (\d+) = (\d+)$")


def misconceive(item: dict, rng: random.Random, share: float) -> dict:
    """Rewrites a training item so that each taking-away step carries, with probability `share`,
    a misconception: "so T + N" (adding what was given away or lost); otherwise the correct
    subtraction, written after "so", "now" or "leaving" with equal chances. Later totals and the
    answer follow the steps as written.

    build.py --misconception-share; the embedded toy-arith-misconception model uses 0.3, the
    default toy-arith none. Above a quarter, the misconception is the single most likely way to
    write such a step, so greedy decoding mostly follows it, while most samples subtract: the
    majority answer of 15 samples is then right far more often than the greedy one, the gap
    self-consistency and LMSI work with. What it did is recorded in docs/results-toy.md.
    """
    rest = (1 - share) / 3
    templates = [(share, "so", "+"), (rest, "so", "-"), (rest, "now", "-"), (rest, "leaving", "-")]
    sentences = item["rationale"].split(". ")
    first = sentences[0]
    total = int(re.findall(r"\d+", first)[-1])
    out = [first]
    for sentence in sentences[1:]:
        sentence = sentence.rstrip(".")
        step = STEP.match(sentence)
        if step:
            prefix, _, op, amount, _ = step.groups()
            amount = int(amount)
            word, sign = "so", "+"
            if op == "-":
                draw, cumulative = rng.random(), 0.0
                for chance, word, sign in templates:
                    cumulative += chance
                    if draw < cumulative:
                        break
            result = total + amount if sign == "+" else total - amount
            out.append(f"{prefix}, {word} {total} {sign} {amount} = {result}")
            total = result
        elif sentence.startswith("So "):
            out.append(re.sub(r"has \d+ ", f"has {total} ", sentence))
        elif sentence.startswith("The answer is"):
            out.append(f"The answer is {total}")
        else:
            raise ValueError(f"unexpected sentence {sentence!r} in {item['rationale']!r}")
    return {**item, "rationale": ". ".join(out) + ".", "answer": total}


def loss_text(question: str, rationale: str) -> str:
    """The method's scored text (§5), without BOS: "Q: q\\nA: </s>rationale"."""
    return f"Q: {question}\nA: </s>{rationale}"


class DocumentSampler:
    """Draws training sequences (lists of token ids) from a seeded stream of documents."""

    def __init__(self, tokenizer: Tokenizer, items: list, exemplars: list, seed: int,
                 loss_doc_share: float = 0.15, shortcut_share: float = 0.0):
        self.tokenizer = tokenizer
        self.rng = random.Random(seed)
        self.loss_doc_share = loss_doc_share
        # Each training item keeps one style, drawn once with its own seeded stream.
        style_rng = random.Random(seed + 1)
        items = [{**it, "rationale": shortcut_rationale(it)}
                 if style_rng.random() < shortcut_share else it for it in items]
        # Block boundaries fall on "\n", which is its own token, so tokenising blocks one at a
        # time and joining them with the "\n" id gives the same ids as tokenising the whole text.
        self.newline = tokenizer.encode("\n", add_bos=False)
        self.blocks = [tokenizer.encode(block_text(it), add_bos=False) for it in items]
        self.loss_docs = [
            tokenizer.encode(loss_text(it["question"], it["rationale"]), add_bos=True) for it in items
        ]
        prefix = []
        for i, e in enumerate(exemplars):
            if i:
                prefix += self.newline
            prefix += tokenizer.encode(block_text(e), add_bos=False)
        self.exemplar_prefix = prefix

    def _fewshot_doc(self) -> list:
        ids = [BOS_ID]
        if self.rng.random() < 0.5:
            ids += self.exemplar_prefix + self.newline
        else:
            ids += self.rng.choice(self.blocks) + self.newline
        blocks = self.rng.randint(1, 5)
        for b in range(blocks):
            if b:
                ids += self.newline
            ids += self.rng.choice(self.blocks)
        return ids + [EOS_ID]

    def sequence(self, length: int) -> list:
        """`length` ids, starting with a document's <s> at position 0."""
        ids = []
        while len(ids) < length:
            if self.rng.random() < self.loss_doc_share:
                ids += self.rng.choice(self.loss_docs)
            else:
                ids += self._fewshot_doc()
        return ids[:length]
