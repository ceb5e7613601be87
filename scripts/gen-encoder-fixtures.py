#!/usr/bin/python3
"""Generates the encoder parity fixtures in tests/fixtures/encoder/.

    /usr/bin/python3 scripts/gen-encoder-fixtures.py            # the committed fixtures
    /usr/bin/python3 scripts/gen-encoder-fixtures.py --large DIR  # BERT-base shape, for a test run

Needs Debian's python3-torch, python3-numpy and python3-regex (the system
Python: a python3 earlier on PATH, such as pyenv's, may lack them), and the
same Python's unicodedata as util/lm_unicode_data.c was generated from.

Each fixture is a tiny random model directory laid out as the Hugging Face
hub gives it (config.json, tokenizer files, model.safetensors, sometimes
sentence-transformers files) plus what the reference implementations in
scripts/encoder_reference.py compute for a set of texts:
  expected.json         texts, model inputs (ids and character offsets),
                        mentions ("simple" and "first"), hard tokenisation
                        cases (ids and character offsets, no specials)
  expected.safetensors  last hidden states per text, pooled vectors,
                        logits
Models: 2 layers, hidden 24-36, vocabularies of about 200-400 tokens, in
F32, F16 and BF16, cased and uncased, each family and head.  Random token
heads are re-drawn until every token's best label leads the second by at
least 1e-3 in probability, so that float rounding cannot flip a label.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encoder_reference as ref  # noqa: E402

TEXTS = [
    "Aspirin reduced the risk of colorectal cancer in patients treated with 81 mg daily.",
    "TNF-\u03b1 and IL-6 levels rose after \u03b2-blocker withdrawal (p < 0.05).",
    "M\u00e9ni\u00e8re's disease; na\u00efve \u0394-9-THC users; the \u03a3\u039f\u03a6\u0399\u0391 cohort.",
    "2-(4-isobutylphenyl)propanoic acid, i.e. ibuprofen, inhibits COX-1 and COX-2.",
    "\u4e2d\u6587 text with emoji \U0001f48a\U0001f9ec and control\u0007chars\u200b here.",
    "",
    ("The dose of aspirin was reduced in patients with colorectal cancer, and the risk of "
     "disease in cells treated with ibuprofen rose; TNF and IL levels in the cohort were "
     "reduced after the blocker, and the protein of the gene in tumor cells was treated "
     "with acid daily for users of the drug in the study of the disease."),
]

HARD = [
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m",
    "e\u0301 a\u0302\u0323 combining marks",
    "TNF-\u03b1, \u03b2-catenin, \u0394F508, \u03a3\u039f\u03a6\u0399\u0391, \u039f\u0394\u039f\u03a3",
    "N,N-dimethyl-4-aminoazobenzene and 2-(4-isobutylphenyl)propanoic acid",
    "1234567890123456789012345 1,000,000.50 3.14159e-10",
    "emoji \U0001f48a\U0001f9ec\U0001f468\u200d\U0001f469\u200d\U0001f467 end",
    "\u4e2d\u6587\u5b57 and \u3072\u3089\u304c\u306a and \ud55c\uad6d\uc5b4",
    "tab\there\nnewline\r\nbreak\u00a0nbsp\u2028sep\u3000ideographic",
    "bell\u0007 zero\u200bwidth soft\u00adhyphen bom\ufeff del\u007f",
    "\ufb01brosis \uff21\uff22\uff23 \u0130stanbul Stra\u00dfe \u01c5emal \u2126 \u212b",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0645\u0631\u062d\u0628\u0627 \u0e20\u0e32\u0e29\u0e32",
    "a" * 101 + " " + "b" * 100,
    "pneumonoultramicroscopicsilicovolcanoconiosis" * 3,
    "It's we'll they're I'M don't O'Neil's",
    "  leading and trailing  ",
    "multiple   spaces\n\n\nand lines",
    "x--y ... ?!? [a](b) {c} <d>",
    "",
]

UNCASED_WORDS = (
    "the of and in with was were for to a an acid cancer tumor cell cells protein gene dose "
    "disease patients treated risk reduced levels after daily users cohort inhibits mg kg dna "
    "rna tnf il cox aspirin ibuprofen text emoji control here blocker withdrawal rose "
    "colorectal naive drug study chars e i p"
).split()
SUBWORDS = ("##ine ##ase ##mab ##ol ##yl ##ic ##ing ##ed ##s ##tion ##er ##al ##ly ##re ##es "
            "##prop ##anoic ##butyl ##phenyl ##iso ##ers ##ation ##ere ##ien").split()
PUNCT = list(".,;:!?()[]-'\"/%<>=+&*#{}")


def wordpiece_vocab(cased):
    v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    v += list("abcdefghijklmnopqrstuvwxyz0123456789") + PUNCT
    v += ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    v += ["\u03b1", "\u03b2", "\u03b3", "\u03b4", "\u03c3", "\u03c2", "\u03bf", "\u03c6",
          "\u03b9", "\u4e2d", "\u6587", "\u0130", "\u00df"]
    v += UNCASED_WORDS + SUBWORDS
    if cased:
        v += list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        v += ["##" + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
        v += ["The", "TNF", "IL", "COX", "DNA", "THC", "Aspirin", "M\u00e9ni\u00e8re", "na\u00efve",
              "\u00e9", "##\u00e9", "##\u00e8", "##\u00ef", "\u0394", "\u03a3", "\u039f",
              "\u03a6", "\u0399", "\u0391"]
    seen, out = set(), []
    for t in v:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def train_bpe(texts, n_merges):
    """A small byte-level BPE vocabulary and merges learned from texts."""
    import regex
    b2u = ref.bytes_to_unicode()
    words = {}
    for t in texts:
        for m in regex.finditer(ref.GPT2_PATTERN, t):
            w = tuple(b2u[b] for b in m.group().encode())
            words[w] = words.get(w, 0) + 1
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for p in zip(w, w[1:]):
                counts[p] = counts.get(p, 0) + c
        if not counts:
            break
        best = max(sorted(counts), key=lambda p: counts[p])
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + [b2u[b] for b in range(256)]
    for a, b in merges:
        if a + b not in vocab:
            vocab.append(a + b)
    vocab.append("<mask>")
    return vocab, merges


class Tokenizer:
    def __init__(self, kind, vocab, lowercase=True, strip_accents=True, merges=None,
                 add_prefix_space=False):
        self.kind, self.vocab_list = kind, vocab
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.lowercase, self.strip_accents = lowercase, strip_accents
        self.ranks = {tuple(m): i for i, m in enumerate(merges or [])}
        self.add_prefix_space = add_prefix_space
        if kind == "wordpiece":
            self.cls, self.sep, self.pad = (self.vocab[t] for t in ("[CLS]", "[SEP]", "[PAD]"))
        else:
            self.cls, self.sep, self.pad = (self.vocab[t] for t in ("<s>", "</s>", "<pad>"))

    def tokens(self, text, add_prefix_space=None):
        if self.kind == "wordpiece":
            return ref.wordpiece_tokenize(text, self.vocab, self.lowercase, self.strip_accents)
        aps = self.add_prefix_space if add_prefix_space is None else add_prefix_space
        return ref.bpe_tokenize(text, self.vocab, self.ranks, aps)

    def is_subword(self, text, toks):
        """The pipeline's rule (see lm_encoder_tasks.c)."""
        out = []
        for tid, s, e in toks:
            if self.kind == "wordpiece":
                if self.vocab_list[tid] == "[UNK]":
                    out.append(False)
                else:
                    out.append(len(self.vocab_list[tid]) != len(text[s:e]))
            else:
                out.append(s > 0 and " " not in text[s - 1:s + 1])
        return out


def write_dir(d, files):
    os.makedirs(d, exist_ok=True)
    for name, content in files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content if isinstance(content, str) else json.dumps(content, indent=1,
                                                                         ensure_ascii=False))


def windows(n, content, stride):
    step, out, w = content - stride, [], 0
    while True:
        stop = min(w + content, n)
        out.append((w, stop))
        if stop == n:
            return out
        w += step


def token_probs(model, tok, text, max_length, stride):
    """Per-token label probabilities of the whole text, each token scored
    in the window where it has the most context (as lm_encoder_tag)."""
    toks = tok.tokens(text)
    n = len(toks)
    if n == 0:
        return toks, np.zeros((0, 1))
    wins = windows(n, max_length - 2, stride)
    seqs = [[tok.cls] + [t[0] for t in toks[a:b]] + [tok.sep] for a, b in wins]
    res = ref.run_padded(model, seqs, tok.pad)
    best = [-1] * n
    logits = [None] * n
    for (a, b), (_, lg) in zip(wins, res):
        for i in range(a, b):
            ctx = min(i - a, b - 1 - i)
            if ctx > best[i]:
                best[i] = ctx
                logits[i] = lg[1 + i - a]
    probs = torch.softmax(torch.stack(logits), dim=-1).numpy()
    return toks, probs


def margin_ok(probs):
    if len(probs) == 0:
        return True
    s = np.sort(probs, axis=1)
    return bool(np.all(s[:, -1] - s[:, -2] >= 1e-3))


def build(spec, out_dir, dtype, align=8, texts=TEXTS, hard=HARD):
    torch.manual_seed(spec["seed"])
    tok = spec["tokenizer"]
    cfg = dict(spec["config"])
    cfg["vocab_size"] = len(tok.vocab_list)
    model = ref.Model(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, spec.get("init_std", 0.2))
        if cfg["model_type"] == "distilbert" and cfg.get("sinusoidal_pos_embds"):
            model.encoder.position_embeddings.weight.copy_(
                ref.sinusoidal_table(cfg["max_position_embeddings"], cfg["dim"]))
    max_len = cfg["max_position_embeddings"] - (cfg.get("pad_token_id", 1) + 1
                                                if cfg["model_type"] == "roberta" else 0)
    embed_len = spec.get("embed_max_length", max_len)
    stride = (max_len - 2) // 4
    labels = [cfg["id2label"][str(i)] for i in range(len(cfg.get("id2label", {})))]
    # re-draw a token head until no label is a near tie
    if model.head == "token":
        for attempt in range(200):
            if all(margin_ok(token_probs(model, tok, t, max_len, stride)[1]) for t in texts):
                break
            with torch.no_grad():
                model.classifier.weight.normal_(0.0, 1.0)
                model.classifier.bias.normal_(0.0, 1.0)
        else:
            raise SystemExit("no token head without near ties")
    # files
    files = {"config.json": cfg}
    files.update(spec.get("extra_files", {}))
    if tok.kind == "wordpiece":
        files["vocab.txt"] = "\n".join(tok.vocab_list) + "\n"
    else:
        files["vocab.json"] = json.dumps({t: i for i, t in enumerate(tok.vocab_list)},
                                         ensure_ascii=False)
        files["merges.txt"] = "#version: 0.2\n" + "".join("%s %s\n" % m for m in spec["merges"])
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    write_dir(out_dir, files)
    state = model.state(task_prefix=spec.get("task_prefix", True),
                        with_positions=spec.get("with_positions", True))
    weights = {k: v.to(dtype) for k, v in state.items()}
    ref.save_safetensors(os.path.join(out_dir, "model.safetensors"), weights, align=align)
    # the reference sees the weights as litmine will: rounded to dtype
    with torch.no_grad():
        for k, v in state.items():
            v.copy_(weights[k].float())
    # expected outputs
    inputs, offsets = [], []
    for t in texts:
        toks = tok.tokens(t)[:embed_len - 2]
        inputs.append([tok.cls] + [x[0] for x in toks] + [tok.sep])
        offsets.append([[0, 0]] + [[x[1], x[2]] for x in toks] + [[0, 0]])
    res = ref.run_padded(model, inputs, tok.pad)
    tensors = {}
    normalize = spec.get("normalize", False)
    for i, (x, lg) in enumerate(res):
        tensors["hidden.%d" % i] = x
        if lg is not None and model.head == "token":
            tensors["logits.%d" % i] = lg
    tensors["pooled_mean"] = torch.stack([x.mean(0) for x, _ in res])
    tensors["pooled_cls"] = torch.stack([x[0] for x, _ in res])
    if normalize:
        tensors["pooled_default"] = torch.nn.functional.normalize(tensors["pooled_mean"], dim=1)
    if model.head == "sequence":
        full = [[tok.cls] + [x[0] for x in tok.tokens(t)[:max_len - 2]] + [tok.sep] for t in texts]
        tensors["seq_logits"] = torch.stack([lg for _, lg in ref.run_padded(model, full, tok.pad)])
    ref.save_safetensors(os.path.join(out_dir, "expected.safetensors"),
                         {k: v.float() for k, v in tensors.items()})
    expected = {"texts": texts, "max_length": max_len, "embed_max_length": embed_len,
                "inputs": inputs, "offsets": offsets, "normalize": normalize,
                "hard": [{"text": h, "tokens": [list(x) for x in tok.tokens(h)]} for h in hard]}
    if tok.kind == "bpe":
        expected["hard_prefix_space"] = [{"text": h, "tokens": [list(x) for x in
                                                                 tok.tokens(h, add_prefix_space=True)]}
                                         for h in hard]
    if model.head == "token":
        ments = {"simple": [], "first": []}
        for t in texts:
            toks, probs = token_probs(model, tok, t, max_len, stride)
            spans = [(s, e) for _, s, e in toks]
            sub = tok.is_subword(t, toks)
            for strategy in ments:
                ms = ref.aggregate(spans, probs, labels, strategy, sub) if toks else []
                ments[strategy].append([[s, e, g, round(sc, 6)] for s, e, g, sc in ms])
        expected["mentions"] = ments
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def bert_cfg(arch, hidden, heads, inter, act, labels=None, eps=1e-12, max_pos=32):
    c = {"model_type": "bert", "architectures": [arch] if arch else None, "hidden_size": hidden,
         "num_hidden_layers": 2, "num_attention_heads": heads, "intermediate_size": inter,
         "hidden_act": act, "max_position_embeddings": max_pos, "type_vocab_size": 2,
         "layer_norm_eps": eps, "pad_token_id": 0, "position_embedding_type": "absolute"}
    if labels:
        c["id2label"] = {str(i): l for i, l in enumerate(labels)}
        c["label2id"] = {l: i for i, l in enumerate(labels)}
    if not arch:
        del c["architectures"]
    return c


def fixtures():
    uncased = wordpiece_vocab(False)
    cased = wordpiece_vocab(True)
    bpe_vocab, merges = train_bpe(TEXTS + HARD, 100)
    bio = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    bilou = ["O"] + ["%s-%s" % (p, t) for t in ("Chemical", "Disease") for p in "BILU"]
    return [
        ("bert-uncased-ner", torch.float32, 8, {
            "seed": 1, "tokenizer": Tokenizer("wordpiece", uncased),
            "config": bert_cfg("BertForTokenClassification", 24, 4, 29, "gelu", bio),
            "extra_files": {"tokenizer_config.json": {"do_lower_case": True,
                                                      "model_max_length": 512}}}),
        ("bert-cased-cls", torch.float16, 8, {
            "seed": 2, "tokenizer": Tokenizer("wordpiece", cased, False, False),
            "config": bert_cfg("BertForSequenceClassification", 20, 5, 24, "gelu_new",
                               ["negative", "neutral", "positive"], eps=1e-5),
            "extra_files": {"tokenizer_config.json": {"do_lower_case": False,
                                                      "tokenize_chinese_chars": True}}}),
        ("bert-st-bf16", torch.bfloat16, 8, {
            "seed": 3, "tokenizer": Tokenizer("wordpiece", uncased, True, False),
            "config": bert_cfg(None, 32, 2, 40, "gelu_pytorch_tanh"),
            "task_prefix": False, "embed_max_length": 24, "normalize": True,
            "extra_files": {
                "tokenizer_config.json": {"do_lower_case": True, "strip_accents": False,
                                          "cls_token": {"content": "[CLS]"}},
                "1_Pooling/config.json": {"word_embedding_dimension": 32,
                                          "pooling_mode_cls_token": False,
                                          "pooling_mode_mean_tokens": True},
                "sentence_bert_config.json": {"max_seq_length": 24, "do_lower_case": False},
                "modules.json": [
                    {"idx": 0, "name": "0", "path": "",
                     "type": "sentence_transformers.models.Transformer"},
                    {"idx": 1, "name": "1", "path": "1_Pooling",
                     "type": "sentence_transformers.models.Pooling"},
                    {"idx": 2, "name": "2", "path": "2_Normalize",
                     "type": "sentence_transformers.models.Normalize"}]}}),
        ("roberta-ner-f16", torch.float16, 8, {
            "seed": 4, "tokenizer": Tokenizer("bpe", bpe_vocab, merges=merges), "merges": merges,
            "config": dict(bert_cfg("RobertaForTokenClassification", 24, 2, 28, "gelu", bilou,
                                    eps=1e-5, max_pos=34), model_type="roberta",
                           pad_token_id=1, type_vocab_size=1),
            "extra_files": {"tokenizer_config.json": {"add_prefix_space": False,
                                                      "trim_offsets": True}}}),
        ("roberta-cls-bf16", torch.bfloat16, 8, {
            "seed": 5, "tokenizer": Tokenizer("bpe", bpe_vocab, merges=merges), "merges": merges,
            "config": dict(bert_cfg("RobertaForSequenceClassification", 16, 4, 20, "quick_gelu",
                                    ["a", "b"], eps=1e-5, max_pos=34),
                           model_type="roberta", pad_token_id=1, type_vocab_size=1)}),
        ("distilbert-cased-unaligned", torch.float32, 1, {
            "seed": 6, "tokenizer": Tokenizer("wordpiece", cased, False, False),
            "with_positions": False,
            "config": {"model_type": "distilbert",
                       "architectures": ["DistilBertForSequenceClassification"],
                       "dim": 24, "n_layers": 2, "n_heads": 4, "hidden_dim": 28,
                       "activation": "gelu", "max_position_embeddings": 32,
                       "sinusoidal_pos_embds": True, "pad_token_id": 0,
                       "id2label": {"0": "NEG", "1": "POS"}, "label2id": {"NEG": 0, "POS": 1}},
            "extra_files": {"tokenizer_config.json": {"do_lower_case": False}}}),
    ]


def large(out_dir):
    """A BERT-base shaped model (12 x 768, 12 heads, 3072) with a token
    head, random ids, and its hidden states and logits."""
    torch.manual_seed(7)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + ["t%d" % i for i in range(995)]
    labels = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
    cfg = bert_cfg("BertForTokenClassification", 768, 12, 3072, "gelu", labels, max_pos=512)
    cfg["vocab_size"] = len(vocab)
    cfg["num_hidden_layers"] = 12
    model = ref.Model(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "ln" in name.split(".")[-2] or name.endswith("ln.weight"):
                continue
            p.normal_(0.0, 0.02)   # BERT's initializer_range
    write_dir(out_dir, {"config.json": cfg, "vocab.txt": "\n".join(vocab) + "\n"})
    ref.save_safetensors(os.path.join(out_dir, "model.safetensors"), model.state())
    g = torch.Generator().manual_seed(11)
    seqs = []
    for n in (128, 77, 300):
        ids = torch.randint(5, len(vocab), (n,), generator=g).tolist()
        seqs.append([2] + ids[:n - 2] + [3])
    res = ref.run_padded(model, seqs, 0)
    tensors = {}
    for i, (x, lg) in enumerate(res):
        tensors["hidden.%d" % i] = x
        tensors["logits.%d" % i] = lg
    ref.save_safetensors(os.path.join(out_dir, "expected.safetensors"), tensors)
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump({"inputs": seqs}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "tests", "fixtures", "encoder"))
    ap.add_argument("--large", metavar="DIR", help="write the BERT-base shaped model to DIR")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.large:
        large(args.large)
        return
    for name, dtype, align, spec in fixtures():
        build(spec, os.path.join(args.out, name), dtype, align)
        print("wrote", name)


if __name__ == "__main__":
    main()
