"""Writes a small deterministic English corpus (ScienceQA-style prompts and shape/colour questions) for training
the tiny demo/test SentencePiece tokenizer. Usage: python3 make_corpus.py > corpus.txt"""
import random

rng = random.Random(20241125)
colors = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white", "gray", "pink", "brown", "cyan"]
shapes = ["circle", "square", "triangle", "star", "rectangle", "ellipse", "hexagon", "cross", "diamond", "line"]
subjects = ["natural science", "social science", "language science"]
verbs = ["shows", "contains", "has", "depicts", "includes"]
words = ("the a an of in on at to is are was were which what where when how many does do can will would should "
         "this that these those image picture photo object objects color shape size left right top bottom middle "
         "animal plant water rock energy force magnet heat light sound map state capital country ocean continent "
         "word sentence letter number answer because lecture solution context options question response "
         "larger smaller more less most least first second third big small tall short").split()
lines = []
for _ in range(4000):
    kind = rng.random()
    if kind < 0.4:
        c, s = rng.choice(colors), rng.choice(shapes)
        n = rng.randint(1, 6)
        q = rng.choice([f"What color is the {s}?", f"How many {s}s are in the image?", f"Which shape is {c}?",
                        f"Is there a {c} {s} in the picture?", f"What shape is at the {rng.choice(['left', 'right', 'top', 'bottom'])}?"])
        opts = " ".join(f"({chr(65 + i)}) {rng.choice(colors + shapes)}" for i in range(rng.randint(2, 5)))
        lines.append(f"Question: {q}\\nContext: The image {rng.choice(verbs)} {n} {c} {s}s.\\nOptions: {opts}\\nResponse:")
        lines.append(f"The answer is {chr(65 + rng.randint(0, 3))}. BECAUSE: The {s} is {c}.")
    elif kind < 0.7:
        sent = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18)))
        lines.append(sent.capitalize() + rng.choice([".", "?", "!"]))
    else:
        lines.append(f"Image: N/A Question: Which {rng.choice(subjects)} topic is {rng.choice(words)}? "
                     f"Options: (A) {rng.choice(words)} (B) {rng.choice(words)} Response: The answer is "
                     f"{rng.choice('AB')}. {rng.randint(0, 999)}")
print("\n".join(lines))
