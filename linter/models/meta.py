"""ModelMeta: what the linter knows about one model, read from its Hugging Face files.

A plain record built by the readers of :mod:`vllm_lint.models` (from the Hub, the local HF cache, the bundled snapshot in
``knowledge/models/`` or a local folder); no I/O here. The derived properties answer the questions
the rules ask, the way vLLM and transformers read the same files:

* the language model's settings live in ``text_config`` (``llm_config`` / ``language_config`` in
  some multimodal configs) when there is one, else at the top level;
* the quantization method comes from ``config.json``'s ``quantization_config`` (or the older
  ``compression_config``), else from the descriptors published beside it: ``quantize_config.json``
  (AutoGPTQ), ``quant_config.json`` (AutoAWQ), ``hf_quant_config.json`` (NVIDIA ModelOpt).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["WeightInfo", "ModelMeta", "QUANT_DESCRIPTORS", "normalize_quant_method"]

#: The quantization descriptors a checkpoint may carry beside config.json, in the order vLLM reads them.
QUANT_DESCRIPTORS = ("quantize_config.json", "quant_config.json", "hf_quant_config.json")

_TEXT_KEYS = ("text_config", "llm_config", "language_config")
_VISION_KEYS = ("vision_config", "visual", "vision_tower_config")
_ALIASES = {
    "compressed_tensors": "compressed-tensors",
    "compressed-tensor": "compressed-tensors",
    "auto_round": "auto-round",
    "autoround": "auto-round",
    "bnb": "bitsandbytes",
    "modelopt_fp8": "modelopt",
}


def normalize_quant_method(name: Any) -> str | None:
    """Lower-case, vLLM-spelled quantization method name (``compressed_tensors`` -> ``compressed-tensors``)."""
    if not isinstance(name, str) or not name.strip():
        return None
    key = name.strip().lower()
    return _ALIASES.get(key, key)


@dataclass
class WeightInfo:
    """The checkpoint's size: what the weights weigh on disk, and their parameters per dtype."""

    total_bytes: int | None  # all *.safetensors vLLM loads, or model.safetensors.index.json metadata.total_size
    parameters: dict[str, int] | None  # per safetensors dtype ("BF16", "I32", "F8_E4M3", ...) when known
    basis: str  # "safetensors-index", "file-sizes", "safetensors-header", "hub-api"

    @property
    def total_parameters(self) -> int | None:
        return sum(self.parameters.values()) if self.parameters else None

    def to_dict(self) -> dict:
        return {"total_bytes": self.total_bytes, "parameters": self.parameters, "basis": self.basis}

    @classmethod
    def from_dict(cls, data: dict | None) -> WeightInfo | None:
        if not isinstance(data, dict):
            return None
        params = data.get("parameters")
        return cls(data.get("total_bytes"), dict(params) if isinstance(params, dict) else None, str(data.get("basis") or ""))


@dataclass
class ModelMeta:
    """One model's Hugging Face metadata, and where it came from."""

    model_id: str
    revision: str | None  # the commit (or the revision asked for) the files belong to
    source: str  # "hub", "cache", "snapshot", "local"
    config: dict  # config.json as is
    quant_files: dict[str, dict] = field(default_factory=dict)  # descriptor file name -> its JSON
    preprocessor: dict | None = None  # preprocessor_config.json (vision models)
    weights: WeightInfo | None = None
    files: list[str] | None = None  # the repository's file names, when known
    origin: str | None = None  # where the data was read: a URL, a cache folder, a snapshot's provenance
    tokenizer: dict | None = None  # what tokenizer_config.json says (Hub, folder, lock): {"chat_template": bool|None, ...}
    gated: str | bool | None = None  # the Hub's gated flag: False, "auto" or "manual"; None when not known

    # ------------------------------------------------------------------ the language model

    @property
    def text_config(self) -> dict:
        """The language model's settings: the nested text config of a multimodal model, else config.json."""
        for key in _TEXT_KEYS:
            nested = self.config.get(key)
            if isinstance(nested, dict) and nested:
                return nested
        thinker = self.config.get("thinker_config")  # Qwen2.5-Omni / Qwen3-Omni
        if isinstance(thinker, dict) and isinstance(thinker.get("text_config"), dict):
            return thinker["text_config"]
        return self.config

    def get(self, key: str, default: Any = None) -> Any:
        """A setting from ``text_config`` first, then the top level of config.json."""
        for cfg in (self.text_config, self.config):
            value = cfg.get(key)
            if value is not None:
                return value
        return default

    @property
    def architectures(self) -> list[str]:
        archs = self.config.get("architectures")
        if not archs:
            archs = self.text_config.get("architectures")
        return [str(a) for a in archs] if isinstance(archs, list) else []

    @property
    def model_type(self) -> str | None:
        value = self.config.get("model_type")
        return str(value) if value else None

    @property
    def torch_dtype(self) -> str | None:
        """``torch_dtype`` (``dtype`` in transformers 5 configs), text config first; without ``torch.``."""
        for cfg in (self.text_config, self.config):
            for key in ("torch_dtype", "dtype"):
                value = cfg.get(key)
                if isinstance(value, str) and value:
                    return value.replace("torch.", "")
        return None

    # ------------------------------------------------------------------ multimodal

    @property
    def vision_config(self) -> dict | None:
        for key in _VISION_KEYS:
            value = self.config.get(key)
            if isinstance(value, dict):
                return value
        thinker = self.config.get("thinker_config")
        if isinstance(thinker, dict) and isinstance(thinker.get("vision_config"), dict):
            return thinker["vision_config"]
        return None

    @property
    def is_multimodal(self) -> bool:
        if self.vision_config is not None:
            return True
        if isinstance(self.config.get("audio_config"), dict):
            return True
        thinker = self.config.get("thinker_config")
        return isinstance(thinker, dict) and isinstance(thinker.get("audio_config"), dict)

    # ------------------------------------------------------------------ quantization

    @property
    def quant_method(self) -> str | None:
        """The checkpoint's quantization method, lower-case as vLLM spells it; None when unquantized."""
        return self._quant()[0]

    @property
    def quant_config(self) -> dict | None:
        """The dict the quantization method was read from."""
        return self._quant()[1]

    def _quant(self) -> tuple[str | None, dict | None]:
        for cfg in (self.config, self.text_config):
            qc = cfg.get("quantization_config")
            if isinstance(qc, dict) and qc:
                method = normalize_quant_method(qc.get("quant_method")) or _infer_method(qc)
                if method:
                    return method, qc
            cc = cfg.get("compression_config")
            if isinstance(cc, dict) and cc:
                inner = cc.get("quantization_config") if isinstance(cc.get("quantization_config"), dict) else cc
                method = normalize_quant_method(inner.get("quant_method") or cc.get("quant_method"))
                if method or inner.get("config_groups") or inner.get("format"):
                    return method or "compressed-tensors", inner
        for name in QUANT_DESCRIPTORS:
            desc = self.quant_files.get(name)
            if not isinstance(desc, dict) or not desc:
                continue
            if name == "hf_quant_config.json":
                return "modelopt", desc  # NVIDIA ModelOpt; quant_algo (FP8, NVFP4) is in the descriptor
            method = normalize_quant_method(desc.get("quant_method")) or _infer_method(desc)
            if method:
                return method, desc
        if self.files and any(f.endswith(".gguf") for f in self.files) and \
                not any(f.endswith((".safetensors", ".bin", ".pt")) for f in self.files):
            return "gguf", None
        return None, None

    @property
    def has_chat_template(self) -> bool | None:
        """Whether the checkpoint ships a chat template (tokenizer_config.json's ``chat_template``, or
        ``chat_template.jinja`` / ``chat_template.json``); None when not known."""
        if isinstance(self.tokenizer, dict) and isinstance(self.tokenizer.get("chat_template"), bool):
            return self.tokenizer["chat_template"]
        if self.files and any(f in ("chat_template.jinja", "chat_template.json") for f in self.files):
            return True
        return None

    @property
    def tool_format(self) -> str | None:
        """The tool-call format the checkpoint's chat template writes (a key of ``tool_formats`` in
        ``knowledge/vllm/parsers.yaml``, found by its markers when the template was read); None when not known."""
        value = self.tokenizer.get("tool_format") if isinstance(self.tokenizer, dict) else None
        return value if isinstance(value, str) and value else None

    # ------------------------------------------------------------------ code

    @property
    def has_custom_code(self) -> bool:
        """The model needs ``--trust-remote-code``: an ``auto_map`` in config.json, or Python files in the repo."""
        if isinstance(self.config.get("auto_map"), dict) and self.config["auto_map"]:
            return True
        return bool(self.files) and any(f.endswith(".py") for f in self.files)

    # ------------------------------------------------------------------ (de)serialization

    def to_dict(self) -> dict:
        return {
            "model_id": self.model_id,
            "revision": self.revision,
            "source": self.origin or self.source,
            "config": self.config,
            "quant_files": self.quant_files,
            "preprocessor": self.preprocessor,
            "weights": self.weights.to_dict() if self.weights is not None else None,
            "files": self.files,
        }

    @classmethod
    def from_snapshot(cls, data: dict) -> ModelMeta:
        """A ModelMeta from one ``knowledge/models/*.json`` entry (see model_snapshot.schema.json)."""
        return cls(
            model_id=str(data["model_id"]),
            revision=data.get("revision"),
            source="snapshot",
            config=dict(data.get("config") or {}),
            quant_files={k: v for k, v in (data.get("quant_files") or {}).items() if isinstance(v, dict)},
            preprocessor=data.get("preprocessor") if isinstance(data.get("preprocessor"), dict) else None,
            weights=WeightInfo.from_dict(data.get("weights")),
            files=list(data["files"]) if isinstance(data.get("files"), list) else None,
            origin=data.get("source"),
        )


def _infer_method(cfg: dict) -> str | None:
    """AutoAWQ / AutoGPTQ descriptors without ``quant_method``: tell them apart by their keys."""
    if any(k in cfg for k in ("w_bit", "q_group_size", "zero_point")) or str(cfg.get("version", "")).upper() in ("GEMM", "GEMV"):
        return "awq"
    if "bits" in cfg and any(k in cfg for k in ("desc_act", "damp_percent", "sym", "static_groups", "true_sequential")):
        return "gptq"
    if "config_groups" in cfg or cfg.get("format") in ("pack-quantized", "float-quantized", "int-quantized", "naive-quantized"):
        return "compressed-tensors"
    if "quant_algo" in cfg or isinstance(cfg.get("quantization"), dict) and "quant_algo" in cfg["quantization"]:
        return "modelopt"
    return None
