"""Model metadata: the real huggingface_hub client against a local Hub (tests/hubserver.py) serving
the real fixture files of tests/fixtures/hf; the HF cache, the bundled snapshot, local folders, and
every way a fetch can fail. No mocking of huggingface_hub, no internet."""
from __future__ import annotations

import json
import shutil
import socket
import struct
import time
from pathlib import Path

import pytest
from hubserver import FIXTURES, HubServer
from vllm_lint.models.meta import ModelMeta, WeightInfo
from vllm_lint.models.request import INDEX_FILE, ModelError, ModelRequest
from vllm_lint.models.resolve import refresh_snapshot, resolve
from vllm_lint.models.snapshot import (
    build_snapshot_from_fixtures,
    load_snapshot,
    read_fixture,
    snapshot_file,
    snapshot_ids,
)

REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "knowledge" / "schemas" / "model_snapshot.schema.json"
SNAPSHOT = REPO / "knowledge" / "models"
FIXTURE_IDS = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in FIXTURES.glob("*/*/config.json"))
AWQ_CT = "cpatonn/Qwen3-VL-32B-Thinking-AWQ-4bit"
VL_FP8 = "Qwen/Qwen3-VL-32B-Instruct-FP8"
TOKEN = "hf_" + "TopSecretValue0123456789abcdef"  # the shape of a real token: it must never be printed

needs_fixtures = pytest.mark.skipif(not FIXTURE_IDS, reason="tests/fixtures/hf holds no model yet")


def fixture(model_id: str) -> Path:
    folder = FIXTURES / model_id
    if not (folder / "config.json").is_file():
        pytest.skip(f"no fixture for {model_id}")
    return folder


def fixture_config(model_id: str) -> dict:
    return json.loads((fixture(model_id) / "config.json").read_text())


@pytest.fixture
def hub_env(tmp_path, monkeypatch):
    """A fresh HF cache and no token, offline switch, telemetry or Xet."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "hf-cache"


@pytest.fixture
def server(hub_env, monkeypatch):
    """The local Hub, HF_ENDPOINT pointing at it."""
    hubserver = HubServer(FIXTURES, slow_seconds=3.0).start()
    monkeypatch.setenv("HF_ENDPOINT", hubserver.url)
    yield hubserver
    hubserver.stop()


def api_calls(server: HubServer, model_id: str) -> int:
    return sum(1 for r in server.requests if r.path.startswith(f"/api/models/{model_id}"))


# ---------------------------------------------------------------------------------------- success


@needs_fixtures
def test_every_fixture_model_resolves_from_the_hub(server):
    requests = [ModelRequest(m) for m in FIXTURE_IDS]
    results = resolve(requests + requests[:2], use_snapshot=False)  # duplicates are fetched once
    assert set(results) == set(requests)
    for request in requests:
        meta = results[request]
        assert isinstance(meta, ModelMeta), (request, meta)
        assert meta.source == "hub"
        assert meta.config == fixture_config(request.model)
        assert meta.revision and len(meta.revision) == 40
        assert "config.json" in meta.files
        assert api_calls(server, request.model) == 1
        for name in meta.quant_files:
            assert json.loads((FIXTURES / request.model / name).read_text()) == meta.quant_files[name]


def test_compressed_tensors_awq_model(server):
    fixture(AWQ_CT)
    meta = resolve([ModelRequest(AWQ_CT)], use_snapshot=False)[ModelRequest(AWQ_CT)]
    assert isinstance(meta, ModelMeta), meta
    assert meta.quant_method == "compressed-tensors"
    assert meta.quant_config is fixture_config(AWQ_CT).get("quantization_config") or meta.quant_config
    assert meta.is_multimodal and meta.vision_config is not None
    assert meta.text_config is meta.config["text_config"]
    assert meta.get("num_hidden_layers") == meta.config["text_config"]["num_hidden_layers"]


def test_fp8_vision_model(server):
    folder = fixture(VL_FP8)
    meta = resolve([ModelRequest(VL_FP8)], use_snapshot=False)[ModelRequest(VL_FP8)]
    assert isinstance(meta, ModelMeta), meta
    assert meta.quant_method == "fp8"
    assert meta.quant_config == fixture_config(VL_FP8)["quantization_config"]
    assert meta.is_multimodal
    assert meta.architectures == fixture_config(VL_FP8)["architectures"]
    if (folder / "preprocessor_config.json").is_file():
        assert meta.preprocessor == json.loads((folder / "preprocessor_config.json").read_text())
    assert not meta.has_custom_code


@needs_fixtures
def test_weights_from_the_listing_and_the_api(server):
    with_weights = [m for m in FIXTURE_IDS if (FIXTURES / m / "weights.json").is_file()
                    or (FIXTURES / m / INDEX_FILE).is_file()]
    if not with_weights:
        pytest.skip("no fixture has weights.json or an index")
    results = resolve([ModelRequest(m) for m in with_weights], use_snapshot=False)
    for model_id in with_weights:
        meta = results[ModelRequest(model_id)]
        assert isinstance(meta, ModelMeta), meta
        extra = json.loads((FIXTURES / model_id / "weights.json").read_text()) if (FIXTURES / model_id / "weights.json").is_file() else {}
        if extra.get("parameters"):
            assert meta.weights.parameters == extra["parameters"]
        if (FIXTURES / model_id / INDEX_FILE).is_file() and not extra.get("files"):
            index = json.loads((FIXTURES / model_id / INDEX_FILE).read_text())
            assert meta.weights.total_bytes == index["metadata"]["total_size"]
            assert meta.weights.basis == "safetensors-index"


@needs_fixtures
def test_second_run_is_served_from_the_cache_with_the_hub_stopped(server):
    requests = [ModelRequest(m) for m in FIXTURE_IDS[:4]]
    first = resolve(requests, use_snapshot=False)
    server.stop()
    second = resolve(requests, use_snapshot=False)
    for request in requests:
        assert isinstance(second[request], ModelMeta), second[request]
        assert second[request].source == "cache"
        assert second[request].config == first[request].config
        assert second[request].quant_method == first[request].quant_method
        assert second[request].revision == first[request].revision
        assert second[request].quant_files == first[request].quant_files
        assert second[request].preprocessor == first[request].preprocessor


@needs_fixtures
def test_a_pinned_revision_is_its_own_cache_entry(server):
    model = FIXTURE_IDS[0]
    main, pinned = ModelRequest(model), ModelRequest(model, "v1.0")
    results = resolve([main, pinned], use_snapshot=False)
    assert results[main].revision != results[pinned].revision
    server.stop()
    again = resolve([pinned], use_snapshot=False)[pinned]
    assert again.source == "cache" and again.revision == results[pinned].revision
    by_commit = ModelRequest(model, results[main].revision)
    assert resolve([by_commit], use_snapshot=False)[by_commit].source == "cache"


@needs_fixtures
def test_hf_home_locates_the_cache(server, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    request = ModelRequest(FIXTURE_IDS[0])
    assert resolve([request], use_snapshot=False)[request].source == "hub"
    assert (tmp_path / "home" / "hub" / ("models--" + request.model.replace("/", "--"))).is_dir()
    server.stop()
    assert resolve([request], use_snapshot=False)[request].source == "cache"


# ---------------------------------------------------------------------------------------- offline


@needs_fixtures
def test_offline_uses_the_cache_then_the_snapshot(server, monkeypatch):
    bundled = snapshot_ids()
    if len(bundled) < 2:
        pytest.skip("the bundled snapshot has fewer than two models")
    served = [m for m in bundled if m in FIXTURE_IDS]  # the local hub serves the fixtures only
    cached_id = served[0]
    snapshot_only = next(m for m in bundled if m != cached_id)
    cached = ModelRequest(cached_id)
    resolve([cached], use_snapshot=False)
    server.stop()
    requests = [cached, ModelRequest(snapshot_only), ModelRequest("acme/not-a-bundled-model")]
    for how in ("flag", "env"):
        if how == "env":
            monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        results = resolve(requests, offline=how == "flag")
        assert results[requests[0]].source == "cache"
        assert results[requests[1]].source == "snapshot"
        assert results[requests[1]].config == load_snapshot(snapshot_only).config
        error = results[requests[2]]
        assert isinstance(error, ModelError) and error.kind == "not-cached"


def test_offline_without_cache_or_snapshot_is_not_cached(hub_env):
    request = ModelRequest("acme/never-seen")
    error = resolve([request], offline=True, use_snapshot=False)[request]
    assert error.kind == "not-cached" and "acme/never-seen" in error.message


@needs_fixtures
def test_no_cache_and_no_snapshot_go_to_the_hub(server):
    request = ModelRequest(FIXTURE_IDS[0])
    resolve([request], use_snapshot=False)
    assert resolve([request], use_cache=False, use_snapshot=False)[request].source == "hub"
    assert api_calls(server, request.model) == 2


# ---------------------------------------------------------------------------------------- failures


FAILURES = [("401", "unauthorized"), ("403", "gated"), ("gated", "gated"), ("404", "not-found"),
            ("429", "rate-limited"), ("500", "server-error"), ("slow", "timeout"), ("invalid-json", "invalid-json"),
            ("invalid-api-json", "invalid-json")]


@needs_fixtures
@pytest.mark.parametrize("mode,kind", FAILURES)
def test_each_failure_gives_its_kind(server, mode, kind):
    model = FIXTURE_IDS[0]
    server.set_mode(model, mode)
    started = time.monotonic()
    error = resolve([ModelRequest(model)], use_snapshot=False, timeout=0.5)[ModelRequest(model)]
    assert isinstance(error, ModelError), error
    assert error.kind == kind, error
    assert model in error.message
    assert time.monotonic() - started < 2.5  # no retry loops: the linter reports and goes on
    if kind in ("gated", "unauthorized"):
        assert "HF_TOKEN" in error.message


@needs_fixtures
def test_unknown_model_is_not_found_with_suggestions(server):
    model = FIXTURE_IDS[0]
    typo = model[:-1] + ("X" if model[-1] != "X" else "Y")
    resolve([ModelRequest(model)], use_snapshot=False)  # now in the HF cache
    error = resolve([ModelRequest(typo)], use_snapshot=False)[ModelRequest(typo)]
    assert error.kind == "not-found"
    assert "404" in error.message
    assert model in error.suggestions


def test_suggestions_come_from_the_bundled_snapshot(server):
    bundled = snapshot_ids()
    if not bundled:
        pytest.skip("no bundled snapshot yet")
    typo = bundled[0].lower().replace("-", "_", 1)
    request = ModelRequest(typo)
    error = resolve([request], use_snapshot=False)[request]
    assert error.kind == "not-found" and bundled[0] in error.suggestions


def test_invalid_model_id_is_reported_without_network(hub_env):
    request = ModelRequest("Qwen/Qwen3 8B")
    error = resolve([request])[request]
    assert error.kind == "not-found" and "not a valid" in error.message


@needs_fixtures
@pytest.mark.parametrize("mode", ["401", "403", "gated"])
def test_token_is_used_but_never_printed(server, monkeypatch, capsys, mode):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    model = FIXTURE_IDS[0]
    server.set_mode(model, mode)
    error = resolve([ModelRequest(model)], use_snapshot=False, progress=True)[ModelRequest(model)]
    assert error.kind in ("gated", "unauthorized")
    assert "HF_TOKEN" in error.message and "token in use" in error.message
    assert f"Bearer {TOKEN}" in {r.authorization for r in server.requests}  # the client did send it
    out = capsys.readouterr()
    for text in (error.message, repr(error), *error.suggestions, out.out, out.err):
        assert TOKEN not in text and TOKEN[3:] not in text


def test_unreachable_hub_is_a_network_error(hub_env, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connection refused
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    request = ModelRequest("acme/anything")
    error = resolve([request], use_snapshot=False)[request]
    assert error.kind == "network", error


@needs_fixtures
def test_one_failing_model_does_not_stop_the_others(server):
    good = FIXTURE_IDS[:3]
    bad = {"acme/missing-model": "not-found"}
    server.set_mode(good[0], "500")
    requests = [ModelRequest(m) for m in [*good, *bad]]
    results = resolve(requests, use_snapshot=False, max_workers=2)
    assert results[requests[0]].kind == "server-error"
    for request in requests[1:len(good)]:
        assert isinstance(results[request], ModelMeta), results[request]
    assert results[ModelRequest("acme/missing-model")].kind == "not-found"


@needs_fixtures
def test_models_are_fetched_concurrently(server):
    if len(FIXTURE_IDS) < 4:
        pytest.skip("needs four fixture models")
    server.latency = 0.1
    requests = [ModelRequest(m) for m in FIXTURE_IDS[:4]]
    started = time.monotonic()
    results = resolve(requests, use_snapshot=False, max_workers=8)
    elapsed = time.monotonic() - started
    assert all(isinstance(r, ModelMeta) for r in results.values())
    serial = len(server.requests) * server.latency
    assert elapsed < serial * 0.7, (elapsed, serial)


@needs_fixtures
def test_progress_line_on_request(server, capsys):
    requests = [ModelRequest(m) for m in FIXTURE_IDS[:2]]
    resolve(requests, use_snapshot=False, progress=True)
    assert f"model metadata {len(requests)}/{len(requests)}" in capsys.readouterr().err
    resolve([ModelRequest(m, "other") for m in FIXTURE_IDS[:2]], use_snapshot=False)  # not a TTY: quiet
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------- local folders


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> int:
    """A synthetic safetensors file (header + zero bytes), to test the reader: returns its size."""
    itemsize = {"BF16": 2, "F32": 4, "I32": 4, "F8_E4M3": 1}
    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        n = itemsize[dtype]
        for dim in shape:
            n *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)
    return path.stat().st_size


@needs_fixtures
def test_local_folder_reads_config_and_weights_on_disk(hub_env, tmp_path):
    model = FIXTURE_IDS[0]
    folder = tmp_path / "models" / "mine"
    shutil.copytree(FIXTURES / model, folder)
    (folder / "weights.json").unlink(missing_ok=True)
    (folder / INDEX_FILE).unlink(missing_ok=True)
    size = _write_safetensors(folder / "model-00001-of-00002.safetensors", {"a": ("BF16", [4, 8]), "b": ("I32", [3])})
    size += _write_safetensors(folder / "model-00002-of-00002.safetensors", {"c": ("BF16", [2, 2])})
    _write_safetensors(folder / "consolidated.safetensors", {"a": ("BF16", [4, 8])})  # Mistral copy: not loaded
    request = ModelRequest("/models/mine", None, folder)
    meta = resolve([request], offline=True)[request]
    assert isinstance(meta, ModelMeta), meta
    assert meta.source == "local"
    assert meta.config == fixture_config(model)
    assert meta.weights == WeightInfo(size, {"BF16": 36, "I32": 3}, "safetensors-header")
    assert "model-00002-of-00002.safetensors" in meta.files


@needs_fixtures
def test_local_folder_index_decides_the_shards(hub_env, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / FIXTURE_IDS[0], folder)
    size = _write_safetensors(folder / "model-00001-of-00001.safetensors", {"w": ("F32", [10])})
    _write_safetensors(folder / "extra.safetensors", {"x": ("F32", [10])})
    (folder / INDEX_FILE).write_text(json.dumps({"metadata": {"total_size": 40},
                                                     "weight_map": {"w": "model-00001-of-00001.safetensors"}}))
    meta = resolve([ModelRequest("./m", None, folder)])[ModelRequest("./m", None, folder)]
    assert meta.weights.total_bytes == size and meta.weights.parameters == {"F32": 10}
    (folder / "model-00001-of-00001.safetensors").unlink()  # not downloaded yet: the index's total
    meta = resolve([ModelRequest("./m", None, folder)])[ModelRequest("./m", None, folder)]
    assert meta.weights == WeightInfo(40, None, "safetensors-index")


def test_local_folder_without_config_is_local_missing(tmp_path):
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "empty", tmp_path / "absent"):
        request = ModelRequest(f"/models/{folder.name}", None, folder)
        error = resolve([request])[request]
        assert isinstance(error, ModelError) and error.kind == "local-missing", error


@needs_fixtures
def test_invalid_local_config_is_invalid_json(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(FIXTURES / FIXTURE_IDS[0], folder)
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(text[: len(text) // 2])
    request = ModelRequest("/broken", None, folder)
    assert resolve([request])[request].kind == "invalid-json"


# ---------------------------------------------------------------------------------------- snapshot


def _validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_shipped_snapshot_files_validate_and_load():
    validator = _validator()
    files = sorted(SNAPSHOT.glob("*.json"))
    if not files:
        pytest.skip("knowledge/models/ is empty")
    for path in files:
        data = json.loads(path.read_text())
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (path.name, errors)
        assert path.name == data["model_id"].replace("/", "--") + ".json"
        assert path.stat().st_size < 64 * 1024, path.name  # small
        meta = load_snapshot(data["model_id"])
        assert meta.source == "snapshot" and meta.config == data["config"]
    assert sorted(snapshot_ids()) == sorted(json.loads(p.read_text())["model_id"] for p in files)


@needs_fixtures
def test_every_fixture_names_its_source():
    root = Path(__file__).resolve().parent / "fixtures" / "hf"
    for config in root.glob("*/*/config.json"):
        sources = config.parent / "SOURCES.md"
        assert sources.is_file() and "checked:" in sources.read_text(encoding="utf-8"), config.parent


def test_shipped_snapshot_covers_every_fixture():
    missing = [m for m in FIXTURE_IDS if load_snapshot(m) is None]
    assert not missing, "regenerate: python -c 'from vllm_lint.models.snapshot import build_snapshot_from_fixtures as b; b(...)'"


@needs_fixtures
def test_build_snapshot_from_fixtures_round_trips(tmp_path):
    validator = _validator()
    written = build_snapshot_from_fixtures(FIXTURES, tmp_path)
    assert sorted(written) == FIXTURE_IDS
    for model_id in written:
        data = json.loads(snapshot_file(model_id, tmp_path).read_text())
        assert not list(validator.iter_errors(data)), model_id
        meta = load_snapshot(model_id, tmp_path)
        direct = read_fixture(FIXTURES / model_id, model_id)
        assert meta.config == fixture_config(model_id)
        assert meta.quant_method == direct.quant_method and meta.quant_config == direct.quant_config
        assert meta.is_multimodal == direct.is_multimodal
        assert meta.torch_dtype == direct.torch_dtype
        assert meta.weights == direct.weights
        assert data["source"]
        extra = FIXTURES / model_id / "weights.json"
        if extra.is_file() and json.loads(extra.read_text()).get("total_size"):
            assert meta.weights.total_bytes == json.loads(extra.read_text())["total_size"]


@needs_fixtures
def test_refresh_snapshot_writes_entries_from_the_hub(server, tmp_path):
    model = FIXTURE_IDS[0]
    out = refresh_snapshot([model, "acme/missing-model"], dest=tmp_path)
    assert isinstance(out[model], ModelMeta) and out["acme/missing-model"].kind == "not-found"
    data = json.loads(snapshot_file(model, tmp_path).read_text())
    assert not list(_validator().iter_errors(data))
    assert data["config"] == fixture_config(model) and server.url in data["source"]
    assert [p.name for p in tmp_path.glob("*.json")] == [snapshot_file(model, tmp_path).name]
