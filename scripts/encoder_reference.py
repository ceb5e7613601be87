"""Reference implementations that litmine's encoder is checked against.

Imported by scripts/gen-encoder-fixtures.py and bench/torch-encoder.py.
Needs Debian's python3-torch (1.13) and python3-numpy; the byte-level BPE
reference also needs python3-regex.  Run with /usr/bin/python3: a `python3`
found first on PATH (pyenv, venv) may lack torch.

The `transformers` and `tokenizers` packages are not available here, so this
module re-states, with torch.nn, what they compute, following their
definitions:
  - BertModel / RobertaModel (modeling_bert.py, modeling_roberta.py):
    word + absolute position + token type embeddings, LayerNorm(eps from the
    config); per layer separate query/key/value Linear layers, scores
    Q K^T / sqrt(head size) plus the extended attention mask
    (1 - mask) * finfo(float32).min, softmax, context, output dense +
    residual + LayerNorm, intermediate dense + activation (ACT2FN), output
    dense + residual + LayerNorm.  RoBERTa's position ids are
    padding_idx + cumsum(mask) (create_position_ids_from_input_ids).
  - DistilBertModel (modeling_distilbert.py): no token types, LayerNorm eps
    1e-12, q scaled by 1/sqrt(dim per head) before Q K^T, masked_fill with
    finfo.min, sinusoidal positions when sinusoidal_pos_embds.
  - heads: BertForTokenClassification (classifier on every token),
    BertForSequenceClassification (pooler dense + tanh on [CLS], classifier),
    RobertaClassificationHead (dense, tanh, out_proj on <s>),
    DistilBertForSequenceClassification (pre_classifier, ReLU, classifier).
  - the fast tokenizers' BertNormalizer + BertPreTokenizer + WordPiece and
    ByteLevel + BPE + RoBERTa post-processing, with their offset alignment
    (every piece of a character aligned with the whole character).
  - the token-classification pipeline's "simple" and "first" aggregation.
Models run on padded batches with attention masks, as transformers does;
litmine runs packed sequences, so agreement also shows that padding never
leaks into results.
"""

import json
import math
import struct
import unicodedata

import numpy as np
import torch
from torch import nn

# ---------------------------------------------------------------- safetensors

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(path, tensors, align=8):
    """Writes {name: tensor} in the safetensors layout.  align=8 pads the
    header with spaces as the reference writer does; align=1 leaves the
    data unaligned (litmine must copy such tensors)."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().tobytes()
        else:
            raw = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % align)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- activations

def activation(name):
    if name == "gelu":
        return lambda x: nn.functional.gelu(x)
    if name == "gelu_new":
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                                     (x + 0.044715 * torch.pow(x, 3.0))))
    if name == "gelu_pytorch_tanh":
        return lambda x: nn.functional.gelu(x, approximate="tanh")
    if name == "gelu_fast":
        return lambda x: 0.5 * x * (1.0 + torch.tanh(x * 0.7978845608 * (1.0 + 0.044715 * x * x)))
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "relu":
        return nn.functional.relu
    if name in ("silu", "swish"):
        return nn.functional.silu
    raise ValueError(name)


# ---------------------------------------------------------------- BERT / RoBERTa

class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c["hidden_size"], c["intermediate_size"]
        self.heads = c["num_attention_heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_dense = nn.Linear(h, h)
        self.attn_ln = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.inter = nn.Linear(h, i)
        self.out = nn.Linear(i, h)
        self.out_ln = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.act = activation(c.get("hidden_act", "gelu"))

    def forward(self, x, ext_mask):
        b, l, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(b, l, self.heads, d).permute(0, 2, 1, 3)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + ext_mask
        probs = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous().view(b, l, h)
        x = self.attn_ln(self.attn_dense(ctx) + x)
        return self.out_ln(self.out(self.act(self.inter(x))) + x)


class BertEncoder(nn.Module):
    """BertModel / RobertaModel without the pooler."""

    def __init__(self, c, roberta=False):
        super().__init__()
        h = c["hidden_size"]
        self.roberta = roberta
        self.pad = c.get("pad_token_id", 1 if roberta else 0)
        self.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), h)
        self.ln = nn.LayerNorm(h, eps=c.get("layer_norm_eps", 1e-12))
        self.layers = nn.ModuleList([BertLayer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, ids, mask):
        b, l = ids.shape
        if self.roberta:
            m = ids.ne(self.pad).int()
            pos = (torch.cumsum(m, dim=1).type_as(m) * m).long() + self.pad
        else:
            pos = torch.arange(l).unsqueeze(0).expand(b, l)
        x = self.word_embeddings(ids) + self.position_embeddings(pos) + \
            self.token_type_embeddings(torch.zeros_like(ids))
        x = self.ln(x)
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, ext)
        return x

    def state(self, prefix):
        s = {
            prefix + "embeddings.word_embeddings.weight": self.word_embeddings.weight,
            prefix + "embeddings.position_embeddings.weight": self.position_embeddings.weight,
            prefix + "embeddings.token_type_embeddings.weight": self.token_type_embeddings.weight,
            prefix + "embeddings.LayerNorm.weight": self.ln.weight,
            prefix + "embeddings.LayerNorm.bias": self.ln.bias,
        }
        for i, L in enumerate(self.layers):
            p = "%sencoder.layer.%d." % (prefix, i)
            for name, mod in (("attention.self.query", L.query), ("attention.self.key", L.key),
                              ("attention.self.value", L.value),
                              ("attention.output.dense", L.attn_dense),
                              ("attention.output.LayerNorm", L.attn_ln),
                              ("intermediate.dense", L.inter), ("output.dense", L.out),
                              ("output.LayerNorm", L.out_ln)):
                s[p + name + ".weight"] = mod.weight
                s[p + name + ".bias"] = mod.bias
        return s


# ---------------------------------------------------------------- DistilBERT

def sinusoidal_table(n_pos, dim):
    enc = np.array([[pos / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
                    for pos in range(n_pos)])
    out = torch.zeros(n_pos, dim)
    out[:, 0::2] = torch.FloatTensor(np.sin(enc[:, 0::2]))
    out[:, 1::2] = torch.FloatTensor(np.cos(enc[:, 1::2]))
    return out


class DistilLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["dim"]
        self.heads = c["n_heads"]
        self.q_lin, self.k_lin, self.v_lin = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.out_lin = nn.Linear(h, h)
        self.sa_layer_norm = nn.LayerNorm(h, eps=1e-12)
        self.lin1 = nn.Linear(h, c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], h)
        self.output_layer_norm = nn.LayerNorm(h, eps=1e-12)
        self.act = activation(c.get("activation", "gelu"))

    def forward(self, x, mask):
        b, l, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(b, -1, self.heads, d).transpose(1, 2)

        q, k, v = split(self.q_lin(x)), split(self.k_lin(x)), split(self.v_lin(x))
        q = q / math.sqrt(d)
        scores = torch.matmul(q, k.transpose(2, 3))
        m = (mask == 0).view(b, 1, 1, l).expand_as(scores)
        scores = scores.masked_fill(m, torch.tensor(torch.finfo(scores.dtype).min))
        w = nn.functional.softmax(scores, dim=-1)
        ctx = torch.matmul(w, v).transpose(1, 2).contiguous().view(b, -1, h)
        sa = self.sa_layer_norm(self.out_lin(ctx) + x)
        return self.output_layer_norm(self.lin2(self.act(self.lin1(sa))) + sa)


class DistilEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["dim"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        if c.get("sinusoidal_pos_embds"):
            with torch.no_grad():
                self.position_embeddings.weight.copy_(
                    sinusoidal_table(c["max_position_embeddings"], h))
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([DistilLayer(c) for _ in range(c["n_layers"])])

    def forward(self, ids, mask):
        l = ids.shape[1]
        x = self.word_embeddings(ids) + self.position_embeddings(torch.arange(l)[None, :])
        x = self.ln(x)
        for layer in self.layers:
            x = layer(x, mask)
        return x

    def state(self, prefix, with_positions=True):
        s = {prefix + "embeddings.word_embeddings.weight": self.word_embeddings.weight,
             prefix + "embeddings.LayerNorm.weight": self.ln.weight,
             prefix + "embeddings.LayerNorm.bias": self.ln.bias}
        if with_positions:
            s[prefix + "embeddings.position_embeddings.weight"] = self.position_embeddings.weight
        for i, L in enumerate(self.layers):
            p = "%stransformer.layer.%d." % (prefix, i)
            for name, mod in (("attention.q_lin", L.q_lin), ("attention.k_lin", L.k_lin),
                              ("attention.v_lin", L.v_lin), ("attention.out_lin", L.out_lin),
                              ("sa_layer_norm", L.sa_layer_norm), ("ffn.lin1", L.lin1),
                              ("ffn.lin2", L.lin2), ("output_layer_norm", L.output_layer_norm)):
                s[p + name + ".weight"] = mod.weight
                s[p + name + ".bias"] = mod.bias
        return s


# ---------------------------------------------------------------- full models

class Model(nn.Module):
    """An encoder of config c with the head its architecture names."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.family = c["model_type"]
        if self.family == "distilbert":
            self.encoder = DistilEncoder(c)
            h = c["dim"]
        else:
            self.encoder = BertEncoder(c, roberta=self.family == "roberta")
            h = c["hidden_size"]
        arch = (c.get("architectures") or [""])[0]
        n = len(c.get("id2label", {}))
        self.head = "token" if arch.endswith("ForTokenClassification") else \
            "sequence" if arch.endswith("ForSequenceClassification") else None
        if self.head:
            self.pre = nn.Linear(h, h) if self.head == "sequence" else None
            self.classifier = nn.Linear(h, n)

    def forward(self, ids, mask):
        """Returns (last hidden states, head logits or None)."""
        x = self.encoder(ids, mask)
        if self.head == "token":
            return x, self.classifier(x)
        if self.head == "sequence":
            first = x[:, 0]
            if self.family == "distilbert":
                return x, self.classifier(nn.functional.relu(self.pre(first)))
            return x, self.classifier(torch.tanh(self.pre(first)))
        return x, None

    def state(self, task_prefix=True, with_positions=True):
        prefix = (self.family + ".") if (task_prefix and self.head) or task_prefix == "always" else ""
        if self.family == "distilbert":
            s = self.encoder.state(prefix, with_positions)
        else:
            s = self.encoder.state(prefix)
        if self.head == "token":
            s["classifier.weight"], s["classifier.bias"] = self.classifier.weight, self.classifier.bias
        elif self.head == "sequence":
            if self.family == "bert":
                s[prefix + "pooler.dense.weight"] = self.pre.weight
                s[prefix + "pooler.dense.bias"] = self.pre.bias
                s["classifier.weight"], s["classifier.bias"] = self.classifier.weight, self.classifier.bias
            elif self.family == "roberta":
                s["classifier.dense.weight"], s["classifier.dense.bias"] = self.pre.weight, self.pre.bias
                s["classifier.out_proj.weight"] = self.classifier.weight
                s["classifier.out_proj.bias"] = self.classifier.bias
            else:
                s["pre_classifier.weight"], s["pre_classifier.bias"] = self.pre.weight, self.pre.bias
                s["classifier.weight"], s["classifier.bias"] = self.classifier.weight, self.classifier.bias
        return s


def run_padded(model, seqs, pad_id):
    """Runs token-id lists as one right-padded batch; returns per sequence
    (hidden [L, H], logits or None)."""
    l = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), l), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), l), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    with torch.inference_mode():
        x, logits = model(ids, mask)
    out = []
    for i, s in enumerate(seqs):
        lg = None
        if logits is not None:
            lg = logits[i, :len(s)] if model.head == "token" else logits[i]
        out.append((x[i, :len(s)].clone(), None if lg is None else lg.clone()))
    return out


# ---------------------------------------------------------------- WordPiece

CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
WHITE_SPACE = set([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
                   0x202F, 0x205F, 0x3000] + list(range(0x2000, 0x200B)))


def is_white_space(ch):
    """Rust's char::is_whitespace: the White_Space property."""
    return ord(ch) in WHITE_SPACE


def bert_is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch).startswith("C")


def bert_is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def nfd_with_alignment(chars):
    """NFD of [(char, align)] keeping each produced character's alignment;
    checked against unicodedata.normalize of the whole string."""
    out = []
    for ch, al in chars:
        for d in unicodedata.normalize("NFD", ch):
            out.append((d, al))
    # canonical ordering across character boundaries (stable by class)
    i = 0
    while i < len(out):
        if unicodedata.combining(out[i][0]) == 0:
            i += 1
            continue
        j = i
        while j < len(out) and unicodedata.combining(out[j][0]) != 0:
            j += 1
        out[i:j] = sorted(out[i:j], key=lambda p: unicodedata.combining(p[0]))
        i = j
    assert "".join(c for c, _ in out) == unicodedata.normalize("NFD", "".join(c for c, _ in chars))
    return out


def bert_normalize(text, lowercase, strip_accents, chinese=True):
    """BertNormalizer: list of (char, (orig_start, orig_end)) in characters."""
    chars = []
    for i, ch in enumerate(text):
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or bert_is_control(ch):
            continue
        if ch in "\t\n\r" or is_white_space(ch):
            ch = " "
        if chinese and any(a <= cp <= b for a, b in CJK_RANGES):
            chars += [(" ", (i, i + 1)), (ch, (i, i + 1)), (" ", (i, i + 1))]
        else:
            chars.append((ch, (i, i + 1)))
    if strip_accents:
        chars = [(c, al) for c, al in nfd_with_alignment(chars) if unicodedata.category(c) != "Mn"]
    if lowercase:
        chars = [(lc, al) for c, al in chars for lc in c.lower()]
    return chars


def bert_pretokenize(chars):
    """BertPreTokenizer: words as lists of (char, alignment)."""
    words, cur = [], []
    for c, al in chars:
        if c in "\t\n\r" or is_white_space(c):
            if cur:
                words.append(cur)
            cur = []
        elif bert_is_punct(c):
            if cur:
                words.append(cur)
            words.append([(c, al)])
            cur = []
        else:
            cur.append((c, al))
    if cur:
        words.append(cur)
    return words


def wordpiece_tokenize(text, vocab, lowercase, strip_accents, unk="[UNK]", max_chars=100):
    """Returns [(id, start, end)] with character offsets into text."""
    out = []
    for word in bert_pretokenize(bert_normalize(text, lowercase, strip_accents)):
        s = "".join(c for c, _ in word)
        span = (word[0][1][0], word[-1][1][1])
        if len(s) > max_chars:
            out.append((vocab[unk], span[0], span[1]))
            continue
        pieces, start = [], 0
        while start < len(s):
            end, found = len(s), None
            while start < end:
                sub = s[start:end] if start == 0 else "##" + s[start:end]
                if sub in vocab:
                    found = sub
                    break
                end -= 1
            if found is None:
                pieces = None
                break
            pieces.append((vocab[found], word[start][1][0], word[end - 1][1][1]))
            start = end
        out += pieces if pieces is not None else [(vocab[unk], span[0], span[1])]
    return out


# ---------------------------------------------------------------- byte-level BPE

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def bpe_word(symbols, ranks):
    """GPT-2's BPE: merge the lowest-ranked pair everywhere, repeat."""
    word = list(symbols)
    while len(word) > 1:
        pairs = set(zip(word, word[1:]))
        best = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if best not in ranks:
            break
        new, i = [], 0
        while i < len(word):
            if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                new.append(word[i] + word[i + 1])
                i += 2
            else:
                new.append(word[i])
                i += 1
        word = new
    return word


def bpe_tokenize(text, vocab, ranks, add_prefix_space=False, trim_offsets=True):
    """ByteLevel + BPE + RoBERTa offsets: [(id, start, end)] in characters."""
    import regex
    b2u = bytes_to_unicode()
    # normalized string with per-character alignment (original char span)
    norm = [(c, (i, i + 1)) for i, c in enumerate(text)]
    virt = add_prefix_space and text and not text.startswith(" ")
    if virt:
        norm = [(" ", (0, 1))] + norm
    s = "".join(c for c, _ in norm)
    out = []
    for m in regex.finditer(GPT2_PATTERN, s):
        piece = norm[m.start():m.end()]
        # byte-level symbols, each aligned with its character
        syms, align = [], []
        for c, al in piece:
            for b in c.encode("utf-8"):
                syms.append(b2u[b])
                align.append(al)
        toks = bpe_word(syms, ranks)
        k = 0
        for t in toks:
            a, e = k, k + len(t)
            k = e
            start, end = align[a][0], align[e - 1][1]
            if trim_offsets:
                lead = len(t) - len(t.lstrip("Ġ"))
                trail = len(t) - len(t.rstrip("Ġ"))
                is_first = not out or start == 0
                if is_first and add_prefix_space and lead == 1:
                    lead = 0
                # work in bytes of the original, as the reference does
                bstart = len(text[:start].encode()) + lead
                bend = len(text[:end].encode())
                bstart = min(bstart, bend)
                if trail and bend >= trail:
                    bend = max(bend - trail, bstart)
                start, end = byte_to_char(text, bstart), byte_to_char(text, bend)
            out.append((vocab[t], start, end))
    return out


def byte_to_char(text, b):
    """Character index holding byte b (the end maps to len(text))."""
    at = 0
    for i, c in enumerate(text):
        n = len(c.encode())
        if b < at + n:
            return i
        at += n
    return len(text)


# ---------------------------------------------------------------- aggregation

def get_tag(label):
    """The pipeline's get_tag, with BILOU/BIOES read as litmine does."""
    if len(label) > 2 and label[1] == "-" and label[0] in "BIULES":
        return label[0], label[2:]
    return ("O" if label == "O" else "I"), label


def aggregate(tokens, probs, labels, strategy, is_subword):
    """tokens: [(start, end)] (no specials), probs: [L, n] numpy.
    Returns [(start, end, group, score)]."""
    ents = []
    for i, (s, e) in enumerate(tokens):
        p = probs[i]
        if strategy == "first" and ents and is_subword[i]:
            ents[-1][1] = e
            continue
        k = int(np.argmax(p))
        ents.append([s, e, k, float(p[k])])
    out, cur, closed = [], None, False
    for s, e, k, sc in ents:
        bi, tag = get_tag(labels[k])
        grp = None if labels[k] == "O" else tag
        joins = cur is not None and grp == cur[2] and not closed and bi in ("I", "L", "E")
        if joins:
            cur[1] = e
            cur[3].append(sc)
        else:
            if cur is not None:
                out.append((cur[0], cur[1], cur[2], sum(cur[3]) / len(cur[3])))
            cur = [s, e, grp, [sc]] if grp is not None else None
        closed = bi in ("L", "E", "U", "S")
    if cur is not None:
        out.append((cur[0], cur[1], cur[2], sum(cur[3]) / len(cur[3])))
    return out
