"""The embedded model's training documents (scripts/toy-model/data.py): the one-line rationale
style that part of the training items are written in, and its seeded share."""

import random
import unittest

from trainer.toy_code import modules

modules()  # puts scripts/toy-model on sys.path
import data  # noqa: E402  (scripts/toy-model/data.py)

ITEMS = [
    {"question": "Anna has 13 cards. She gives 12 of them to Ben. How many cards does Anna have now?",
     "rationale": "Anna starts with 13 cards. She gives 12 to Ben, so 13 - 12 = 1. The answer is 1.",
     "answer": 1},
    {"question": "Max has 18 toy cars. He gives 10 of them to Hugo. Then he collects 5 more. "
                 "Then he buys 3 boxes with 5 toy cars in each. How many toy cars does Max have now?",
     "rationale": "Max starts with 18 toy cars. He gives 10 to Hugo, so 18 - 10 = 8. He collects 5 "
                  "more, so 8 + 5 = 13. He buys 3 * 5 = 15 more, so 13 + 15 = 28. The answer is 28.",
     "answer": 28},
    {"question": "Anna has 5 boxes with 6 shells in each box. She sells 3 of them. Then she collects "
                 "18 more. How many shells does Anna have now?",
     "rationale": "Anna has 5 boxes of 6 shells, so she starts with 5 * 6 = 30 shells. She sells 3, "
                  "so 30 - 3 = 27. She collects 18 more, so 27 + 18 = 45. The answer is 45.",
     "answer": 45},
    {"question": "Ella has 16 flowers. Maya gives her 15 more. How many flowers does Ella have now?",
     "rationale": "At first Ella has 16 flowers. Maya gives her 15, so 16 + 15 = 31. "
                  "So Ella has 31 flowers now. The answer is 31.",
     "answer": 31},
]


class ShortcutRationaleTest(unittest.TestCase):
    def test_every_kind_of_step_becomes_one_expression(self):
        self.assertEqual([data.shortcut_rationale(item) for item in ITEMS], [
            "So Anna has 13 - 12 = 1 cards now. The answer is 1.",
            "So Max has 18 - 10 + 5 + 3 * 5 = 28 toy cars now. The answer is 28.",
            "So Anna has 5 * 6 - 3 + 18 = 45 shells now. The answer is 45.",
            "So Ella has 16 + 15 = 31 flowers now. The answer is 31.",
        ])

    def test_a_rationale_that_does_not_add_up_is_refused(self):
        broken = {**ITEMS[0], "answer": 2}
        with self.assertRaisesRegex(ValueError, "13 - 12 != 2"):
            data.shortcut_rationale(broken)


class MisconceptionTest(unittest.TestCase):
    def test_taking_away_steps_add_with_the_given_chance_and_later_totals_follow(self):
        class Draws:  # stands in for random.Random: the given draws, in order
            def __init__(self, *values):
                self.values = list(values)

            def random(self):
                return self.values.pop(0)

        max_item = ITEMS[1]  # 18 - 10, + 5, + 3 * 5
        wrong = data.misconceive(max_item, Draws(0.1), 0.4)
        self.assertEqual(wrong["rationale"],
                         "Max starts with 18 toy cars. He gives 10 to Hugo, so 18 + 10 = 28. He collects "
                         "5 more, so 28 + 5 = 33. He buys 3 * 5 = 15 more, so 33 + 15 = 48. "
                         "The answer is 48.")
        self.assertEqual(wrong["answer"], 48)
        for draw, word in [(0.5, "so"), (0.7, "now"), (0.9, "leaving")]:
            right = data.misconceive(max_item, Draws(draw), 0.4)
            self.assertIn(f"He gives 10 to Hugo, {word} 18 - 10 = 8.", right["rationale"])
            self.assertEqual(right["answer"], 28)
        # Adding steps never draw; the closing "So … has N … now." follows the new total.
        ella = data.misconceive(ITEMS[3], Draws(), 0.4)
        self.assertEqual(ella, ITEMS[3])
        anna = {**ITEMS[0], "rationale": ITEMS[0]["rationale"].replace(
            " The answer", " So Anna has 1 cards now. The answer")}
        self.assertEqual(data.misconceive(anna, Draws(0.0), 0.4)["rationale"],
                         "Anna starts with 13 cards. She gives 12 to Ben, so 13 + 12 = 25. "
                         "So Anna has 25 cards now. The answer is 25.")

    def test_share_zero_keeps_every_answer(self):
        rng = random.Random(3)
        for item in ITEMS * 20:
            rewritten = data.misconceive(item, rng, 0.0)
            self.assertEqual(rewritten["answer"], item["answer"])
            self.assertNotIn(" + 10 =", rewritten["rationale"])


class StyleShareTest(unittest.TestCase):
    def sampler(self, share: float, seed: int = 7):
        tokenizer = modules().tokenizer
        texts = [data.block_text(item) for item in ITEMS] + [data.shortcut_rationale(i) for i in ITEMS]
        tok = tokenizer.Tokenizer.from_word_merges(tokenizer.train_bpe(texts, 50))
        return data.DocumentSampler(tok, ITEMS * 50, [ITEMS[0]], seed=seed, shortcut_share=share), tok

    def shortcut_blocks(self, share: float, seed: int = 7) -> int:
        sampler, tok = self.sampler(share, seed)
        return sum(tok.decode(block).split("\nA: ")[1].startswith("So ") for block in sampler.blocks)

    def test_share_of_items_in_the_one_line_style(self):
        self.assertEqual(self.shortcut_blocks(0.0), 0)
        self.assertEqual(self.shortcut_blocks(1.0), 200)
        half = self.shortcut_blocks(0.5)
        self.assertTrue(70 <= half <= 130, half)
        self.assertEqual(self.shortcut_blocks(0.5), half)  # seeded: the same items every time


if __name__ == "__main__":
    unittest.main()
