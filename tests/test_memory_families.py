"""The memory arithmetic per architecture family, on the bundled configs: hybrid Gated DeltaNet and Mamba2, MLA and
the DSA indexer, sliding windows, heterogeneous layers, speculative decoding, LoRA and parallelism, each against
vLLM's own arithmetic (knowledge/vllm/engine.yaml) and, where a start-up was measured, what vLLM 0.20.2 printed on
the H200 (tests/data/calibration.yaml; the available-memory bytes below are the worker's, from the same logs)."""
from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner

from vllm_lint.cli import main
from vllm_lint.hardware.gpu import find_gpu
from vllm_lint.memory import activation as act_model
from vllm_lint.memory.estimate import GiB, estimate, kv_layout, pp_stages
from vllm_lint.memory.hybrid import state_shapes
from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.shapes import NotModelled, shapes
from vllm_lint.models.meta import ModelMeta
from vllm_lint.models.snapshot import load_snapshot, snapshot_ids

H200 = replace(find_gpu("h200"), cuda_total_gib=150109880320 / GiB)  # the total the lent H200 reported
RUN = {"max_model_len": 32768, "max_num_seqs": 256, "max_num_batched_tokens": 8192}
MiB = 1024**2
QWEN35, NEMOTRON = "Qwen/Qwen3.5-27B", "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"


def layout_of(model, version="0.20.2", **kw):
    return kv_layout(load_snapshot(model), Launch(**{**RUN, **kw}), version, H200)


def printed(lay, available, max_len=32768):
    blocks = lay.num_blocks(available, 0)
    return blocks, lay.tokens(blocks, max_len), round(lay.concurrency(blocks, max_len), 2)


# -- hybrid Gated DeltaNet -------------------------------------------------------------------------------------

def test_qwen35_keeps_kv_only_on_its_full_attention_layers_and_a_state_per_sequence():
    s = shapes(load_snapshot(QWEN35))
    assert (s.attention_layers, s.state_layers, s.family) == (16, 48, "hybrid-gdn")
    # gated_delta_net_state_shape: conv (kernel - 1, 2 × 16 × 128 + 48 × 128) bf16, delta state (48, 128, 128) in the
    # config's mamba_ssm_dtype float32 (vLLM 0.20.2 printed the same shapes)
    assert state_shapes(s, 1, 0, 2, "0.20.2") == [((3, 10240), 2), ((48, 128, 128), 4)]
    assert state_shapes(s, 4, 2, 2, "0.20.2") == [((5, 2560), 2), ((12, 128, 128), 4)]


def test_qwen35_hybrid_allocator_reproduces_what_vllm_printed():
    """1503 blocks of 784 tokens; 42 attention + 3 state blocks per 32k request; 1,094,451 tokens, 33.40x."""
    lay = layout_of(QWEN35, language_model_only=True)
    assert lay.block_size == 784 and lay.groups[0].spec.page == 3_211_264  # "Setting attention block size to 784"
    assert [g.spec.kind for g in lay.groups] == ["full", "mamba", "mamba", "mamba"]
    assert lay.blocks_per_request(32768) == 45
    assert printed(lay, 77_252_972_544) == (1503, 1_094_451, 33.40)
    assert printed(lay, 77_844_369_408) == (1515, 1_103_189, 33.67)  # --max-num-seqs 64
    assert printed(lay, 79_433_249_792) == (1545, 1_125_034, 34.33)  # --enforce-eager


def test_hybrid_arithmetic_per_release():
    older = layout_of(QWEN35, "0.20.0", language_model_only=True)  # tokens = blocks // groups × smallest block
    assert older.tokens(1503, 32768) == 1503 // 4 * 784
    aligned = layout_of(QWEN35, "0.26.0", language_model_only=True)  # prefix caching on: GDN in 'align' mode
    assert aligned.mamba_mode == "align" and aligned.blocks_per_request(32768) == 42 + 3 * 2
    with pytest.raises(NotModelled, match="hybrid"):
        layout_of(QWEN35, "0.9.2", language_model_only=True)


# -- hybrid Mamba2 + MoE ----------------------------------------------------------------------------------------

def test_nemotron_3_nano_pattern_weights_and_kv_cache():
    meta = load_snapshot(NEMOTRON)
    s = shapes(meta)
    kinds = [(x.attention, x.state, x.mlp) for x in s.layer_list]
    assert kinds.count((None, "mamba2", "none")) == 23 and kinds.count(("full", None, "none")) == 6
    assert kinds.count((None, None, "moe")) == 23 and not s.gated_mlp  # relu2: up + down
    assert state_shapes(s, 1, 0, 2, "0.20.2") == [((3, 6144), 2), ((64, 64, 128), 4)]  # 36,864 + 2,097,152 B
    est = estimate(meta, Launch(**RUN), [(None, H200)], "0.20.2")
    assert est.gpus[0].weights.bytes / GiB == pytest.approx(58.89, rel=0.03)  # not 190 GiB
    lay = layout_of(NEMOTRON)
    assert lay.block_size == 2096 and len(lay.groups) == 5  # 4 Mamba groups of 6 (one padded) + attention
    assert printed(lay, 69_870_115_328) == (5425, 8_888_320, 271.25)


def test_nemotron_ssm_state_dtype_per_release():
    s = shapes(load_snapshot("nvidia/Nemotron-H-56B-Base-8K"))  # no mamba_ssm_cache_dtype in its config
    assert state_shapes(s, 1, 0, 2, "0.20.2")[1][1] == 4  # float32 from 0.20
    assert state_shapes(s, 1, 0, 2, "0.14.1")[1][1] == 2  # float16 in 0.13-0.19
    assert state_shapes(s, 1, 0, 2, "0.11.0")[1][1] == 2  # the cache dtype before


def test_granite_4_h_layer_types_and_mamba2_groups_sharded():
    meta = ModelMeta("ibm/granite-4.0-h-like", None, "local", {
        "model_type": "granitemoehybrid", "architectures": ["GraniteMoeHybridForCausalLM"], "hidden_size": 1536,
        "num_attention_heads": 12, "num_key_value_heads": 4, "num_hidden_layers": 4, "vocab_size": 100352,
        "intermediate_size": 512, "shared_intermediate_size": 1024, "num_local_experts": 0,
        "layer_types": ["mamba", "mamba", "mamba", "attention"], "mamba_expand": 2, "mamba_n_heads": 48,
        "mamba_d_head": 64, "mamba_n_groups": 1, "mamba_d_state": 128, "mamba_d_conv": 4, "torch_dtype": "bfloat16"})
    s = shapes(meta)
    assert (s.attention_layers, s.state_layers) == (1, 3)
    # one group replicated over 2 ranks (extra_groups_for_head_shards): conv_dim (3072 + 2·2·128) / 2
    assert state_shapes(s, 2, 0, 2, "0.20.2") == [((3, 1792), 2), ((24, 64, 128), 2)]


# -- MLA, DSA ---------------------------------------------------------------------------------------------------

def test_deepseek_mla_latent_cache_and_profile_workspace():
    launch = Launch(**RUN, hf_overrides={"num_hidden_layers": 5})
    lay = kv_layout(load_snapshot("deepseek-ai/DeepSeek-V3"), launch, "0.20.2", H200)
    assert [g.spec.per_token for g in lay.groups] == [576 * 2]  # kv_lora_rank + rope, bf16, one head
    est = estimate(load_snapshot("deepseek-ai/DeepSeek-V3"), launch, [(None, H200)], "0.20.2")
    g = est.gpus[0]
    assert "MLA workspace 4.00 GiB" in g.activation.note  # 64 Ki tokens × 128 heads × (128 + 128) × 2 B
    assert g.activation.bytes / GiB == pytest.approx(7.44, abs=0.6) and g.cuda_graph.bytes / GiB == pytest.approx(4.26, abs=0.3)
    assert est.kv_cache_tokens == pytest.approx(16_248_304, rel=0.05)


def test_dsa_indexer_cache_joins_the_mla_group():
    lay = layout_of("deepseek-ai/DeepSeek-V3.2")
    assert lay.uniform_type and sorted({sp.per_token for sp in lay.specs}) == [132, 1152]
    assert len(lay.specs) == 2 * 61 and lay.block_size == 64  # FLASHMLA_SPARSE blocks
    fp8 = layout_of("deepseek-ai/DeepSeek-V3.2", kv_cache_dtype="fp8")
    assert sorted({sp.per_token for sp in fp8.specs}) == [132, 656]  # fp8_ds_mla
    assert lay.bytes_per_block(0) == 64 * 61 * (1152 + 132)


# -- sliding windows, heterogeneous layers -------------------------------------------------------------------------

def test_gpt_oss_full_and_sliding_groups():
    lay = layout_of("openai/gpt-oss-20b")
    assert [g.spec.kind for g in lay.groups] == ["sliding", "full"] and len(lay.groups[0].layers) == 12
    assert lay.blocks_per_request(32768) == 2048 + (-(-(128 - 1 + 8192) // 16) + 1)
    assert printed(lay, 118_172_151_808) == (300_527, 3_833_269, 116.98)


def test_gemma4_global_layers_get_their_own_page_and_a_larger_block():
    lay = layout_of("google/gemma-4-26B-A4B", language_model_only=True)
    sliding = [g for g in lay.groups if g.spec.kind == "sliding"]
    full = [g for g in lay.groups if g.spec.kind == "full"]
    assert len(sliding) == 5 and len(full) == 1 and {len(g.layers) for g in lay.groups} == {5}
    assert sliding[0].spec.page == full[0].spec.page and full[0].spec.block == 32  # 2 × 2 × 512 vs 2 × 8 × 256


def test_decilm_block_configs():
    s = shapes(load_snapshot("nvidia/Llama-3_3-Nemotron-Super-49B-v1"))
    assert s.attention_layers == 49 and {x.kv_heads for x in s.layer_list if x.attention} == {8}
    assert {x.intermediate for x in s.layer_list} >= {28672, 14336}  # ffn_mult 5.25, 2.625 × 8192 × 2/3, to 256
    assert layout_of("nvidia/Llama-3_3-Nemotron-Super-49B-v1").groups[0].spec.kind == "full"


# -- speculative decoding, LoRA (vLLM's source, checked on the H200 start-ups of vLLM 0.20.2), parallelism ----------

def test_mtp_adds_its_layers_weights_and_kv_cache():
    launch = Launch(**RUN, hf_overrides={"num_hidden_layers": 5}, speculative={"method": "mtp", "num_speculative_tokens": 1})
    meta = load_snapshot("deepseek-ai/DeepSeek-V3")
    plain = estimate(meta, Launch(**RUN, hf_overrides={"num_hidden_layers": 5}), [(None, H200)], "0.20.2")
    mtp = estimate(meta, launch, [(None, H200)], "0.20.2")
    assert mtp.kv_groups == ["mla × 6 (block 16)"]
    # vLLM printed 26.73 and 37.68 GiB: one FP8 MoE layer + eh_proj, embeddings and lm_head shared
    added = (mtp.gpus[0].weights.bytes - plain.gpus[0].weights.bytes) / GiB
    assert added == pytest.approx(37.68 - 26.73, rel=0.03)
    assert any("checked on vLLM 0.20.2 start-ups" in n for n in mtp.notes)
    q35 = layout_of(QWEN35, language_model_only=True, speculative={"method": "mtp", "num_speculative_tokens": 2})
    full = next(g for g in q35.groups if g.spec.kind == "full")
    assert len(full.layers) == 17 and q35.block_size == 800  # conv state + 2 positions: a larger state page
    assert q35.blocks_per_request(32768) == 41 + 3 * (1 + 2)  # num_speculative_blocks


def test_mtp_on_mla_cuda_graphs_hold_the_split_buffers_and_the_drafter_workspace():
    """vLLM 0.20.2 on the H200: FULL first capture 2,104 MiB without MTP (FA3 split buffers of 256 decode tokens),
    8,320 MiB with one MTP token (512 tokens' buffers + the drafter's MLA workspace); estimate 4.26 / 8.27 GiB."""
    meta = load_snapshot("deepseek-ai/DeepSeek-V3")
    s = shapes(meta)
    assert act_model.mla_split_buffer_bytes(s, 1, 256) / MiB == pytest.approx(2048 + 4)  # 32 × 128 × 256 × 513 × 4 B
    launch = Launch(**RUN, hf_overrides={"num_hidden_layers": 5}, speculative={"method": "mtp", "num_speculative_tokens": 1})
    g = estimate(meta, launch, [(None, H200)], "0.20.2").gpus[0]
    assert "50 PIECEWISE + 50 FULL" in g.cuda_graph.note  # sizes rounded to multiples of 2, as vLLM printed
    assert g.cuda_graph.bytes / GiB == pytest.approx(8.27, rel=0.03)
    plain = estimate(meta, Launch(**RUN, hf_overrides={"num_hidden_layers": 5}), [(None, H200)], "0.20.2").gpus[0]
    assert plain.cuda_graph.bytes / GiB == pytest.approx(4.26, rel=0.03)
    lay = kv_layout(meta, launch, "0.20.2", H200)
    blocks = lay.num_blocks(int(72.21 * GiB), 0)  # "Available KV cache memory: 72.21 GiB"
    assert lay.tokens(blocks, 32768) == pytest.approx(11_217_344, rel=1e-4)
    # Blackwell picks FLASHINFER_MLA first (platforms/cuda.py): no FA3 split buffers there
    gb = estimate(meta, launch, [(None, find_gpu("b200"))], "0.20.2").gpus[0]
    assert gb.cuda_graph.bytes < g.cuda_graph.bytes - 3 * GiB


def test_qwen35_moe_hybrid_with_and_without_mtp_reproduces_what_vllm_printed():
    """Qwen3.5-35B-A3B (10 attention + 30 Gated DeltaNet layers, MoE): block 1056, 2924 blocks, 2,737,532 tokens;
    with 2 MTP tokens the drafter's attention layer joins (11) and the conv state grows by 2 positions: block 1072,
    2493 blocks, 2,042,265 tokens (worker's available bytes from the same logs)."""
    plain = layout_of("Qwen/Qwen3.5-35B-A3B", language_model_only=True)
    assert plain.block_size == 1056 and (plain.groups[0].spec.kind, len(plain.groups[0].layers)) == ("full", 10)
    assert printed(plain, 63_248_628_736) == (2924, 2_737_532, 83.54)
    mtp = layout_of("Qwen/Qwen3.5-35B-A3B", language_model_only=True,
                    speculative={"method": "mtp", "num_speculative_tokens": 2})
    assert mtp.block_size == 1072 and len(mtp.groups[0].layers) == 11 and mtp.groups[0].spec.page == 2_195_456
    assert printed(mtp, 60_229_751_296) == (2493, 2_042_265, 62.33)


def test_ngram_has_no_weights_but_more_decode_graphs():
    meta = load_snapshot("Qwen/Qwen3-8B")
    plain = estimate(meta, Launch(**RUN), [(None, H200)], "0.20.2")
    ngram = estimate(meta, Launch(**RUN, speculative={"method": "ngram", "num_speculative_tokens": 4}), [(None, H200)],
                     "0.20.2")
    assert ngram.gpus[0].weights.bytes == plain.gpus[0].weights.bytes
    # vLLM 0.20.2 printed "PIECEWISE=48 (largest=500), FULL=48 (largest=500)": sizes rounded up to multiples of 5
    assert "48 PIECEWISE + 48 FULL" in ngram.gpus[0].cuda_graph.note and "35 FULL" in plain.gpus[0].cuda_graph.note
    sizes = act_model.capture_sizes(Launch(**RUN), 256, 8192, 4, None, "0.20.2")
    assert sizes[:4] == [5, 10, 20, 25] and sizes[-1] == 500 and all(x % 5 == 0 for x in sizes)
    with pytest.raises(NotModelled, match="MTP layers"):
        estimate(load_snapshot("Qwen/Qwen3-8B"), Launch(**RUN, speculative={"method": "mtp"}), [(None, H200)], "0.20.2")


def test_lora_slots_on_every_linear_layer():
    meta = load_snapshot("Qwen/Qwen3-8B")
    plain = estimate(meta, Launch(**RUN), [(None, H200)], "0.20.2").gpus[0]
    lora = estimate(meta, Launch(**RUN, enable_lora=True, max_lora_rank=64, max_loras=4), [(None, H200)], "0.20.2").gpus[0]
    # per layer and rank: qkv 3 × 4096 + 6144, o 4096 + 4096, gate_up 2 × 4096 + 2 × 12288, down 12288 + 4096;
    # embed 151936 + 4096, lm_head 4096 + 151936; × 64 × 4 slots × 2 B
    per_rank = 36 * (18432 + 8192 + 32768 + 16384) + 2 * (151936 + 4096)
    assert lora.weights.bytes - plain.weights.bytes == pytest.approx(per_rank * 64 * 4 * 2)
    assert "×2 (LoRA)" in lora.cuda_graph.note
    # vLLM 0.20.2 printed 15.27 GiB without LoRA, 16.72 with 4 × rank 64, 15.45 with 2 × rank 16
    assert lora.weights.bytes / GiB == pytest.approx(16.72, rel=0.005)
    small = estimate(meta, Launch(**RUN, enable_lora=True, max_lora_rank=16, max_loras=2), [(None, H200)], "0.20.2")
    assert small.gpus[0].weights.bytes / GiB == pytest.approx(15.45, rel=0.005)


def test_second_mamba2_point_at_64_sequences():
    """NVIDIA-Nemotron-3-Nano at --max-num-seqs 64: 5447 blocks of 2096 tokens, 8,924,364 tokens, 272.35x."""
    assert printed(layout_of(NEMOTRON, max_num_seqs=64), 70_157_425_152) == (5447, 8_924_364, 272.35)


def test_pipeline_split_and_expert_parallel():
    assert [len(r) for r in pp_stages(61, 4)] == [15, 15, 16, 15]  # get_pp_indices: remainder before the last
    assert [len(r) for r in pp_stages(36, 3, "10,14,12")] == [10, 14, 12]
    meta = load_snapshot("Qwen/Qwen3-30B-A3B")
    tp2 = estimate(meta, Launch(**RUN, tensor_parallel=2), [(None, H200)] * 2, "0.20.2")
    dp2 = estimate(meta, Launch(**RUN, tensor_parallel=2, data_parallel=2, expert_parallel=True), [(None, H200)] * 2, "0.20.2")
    assert dp2.gpus[0].weights.bytes < 0.6 * tp2.gpus[0].weights.bytes  # experts over 4 GPUs, attention over 2
    pp = estimate(load_snapshot("Qwen/Qwen3-8B"), Launch(**RUN, pipeline_parallel=3), [(None, H200)] * 3, "0.20.2")
    assert [g.stage for g in pp.gpus] == [0, 1, 2] and pp.gpus[1].weights.bytes < pp.gpus[0].weights.bytes


# -- every bundled model ----------------------------------------------------------------------------------------

NOT_MODELLED = {"deepseek-ai/DeepSeek-V4-Flash": "DeepSeek V4", "deepseek-ai/DeepSeek-V4-Pro": "DeepSeek V4",
                "nvidia/DeepSeek-V4-Flash-NVFP4": "DeepSeek V4", "nvidia/DeepSeek-V4-Pro-NVFP4": "DeepSeek V4",
                "moonshotai/Kimi-K3": "Kimi K3"}


@pytest.mark.parametrize("model", snapshot_ids())
def test_every_bundled_model_gets_an_answer_or_says_what_is_not_modelled(model):
    meta = load_snapshot(model)
    launch = Launch(tensor_parallel=8, max_model_len=32768)
    if model in NOT_MODELLED:
        with pytest.raises(NotModelled, match=NOT_MODELLED[model]):
            estimate(meta, launch, [(None, H200)] * 8, "0.20.2")
        return
    est = estimate(meta, launch, [(None, H200)] * 8, "0.20.2")
    s = shapes(meta)
    assert est.kv_groups and est.kv_bytes_per_request > 0 and all(g.weights.bytes > 0 for g in est.gpus)
    # parameters against the size the name states (30B, 235B-A22B, 8x7B ...), where it states one
    import re

    size = re.search(r"(\d+)x(\d+(?:\.\d+)?)B|(\d+(?:\.\d+)?)B", model.split("/")[-1])
    if size:
        nominal = float(size.group(1)) * float(size.group(2)) * 0.85 if size.group(1) else float(size.group(3))
        from vllm_lint.memory.params import component_params

        params = sum(component_params(s).values()) / 1e9
        assert 0.75 * nominal < params < 1.3 * nominal, (model, params, nominal)


def test_vram_command_says_what_it_does_not_model():
    out = CliRunner().invoke(main, ["vram", "deepseek-ai/DeepSeek-V4-Flash", "--gpu", "h200", "--offline",
                                    "--vllm-version", "0.20.2"])
    assert out.exit_code == 2 and "not modelled: DeepSeek V4's compressed sparse attention" in out.output
    assert "GiB" not in out.output
