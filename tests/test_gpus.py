"""The GPU table and the hardware inventory (config hardware:, --gpu, nvidia-smi)."""
import json
import os
import stat

import pytest
import yaml
from conftest import REPO

from vllm_lint.hardware.gpu import InventoryError, find_gpu, from_nvidia_smi, parse_inventory, table

TABLE = REPO / "knowledge" / "gpus.yaml"
SCHEMA = REPO / "knowledge" / "schemas" / "gpus.schema.json"


def test_table_validates_and_has_the_cards_the_issue_names():
    import jsonschema

    data = yaml.safe_load(TABLE.read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    ids = [g["id"] for g in data["gpus"]]
    assert len(ids) == len(set(ids))
    for wanted in ("t4", "v100-16gb", "v100-32gb", "a10", "a10g", "l4", "l40s", "a40", "rtx-a6000", "rtx-3090", "rtx-4090",
                   "rtx-5090", "a100-40gb", "a100-80gb", "h100-pcie", "h100-sxm", "h100-nvl", "h200", "b200", "gh200-96gb",
                   "mi300x"):
        assert wanted in ids
    aliases = {}
    for g in table().values():  # no spelling may name two cards
        for name in (g.id, g.name, *g.aliases):
            key = name.lower().replace(" ", "").replace("-", "")
            assert aliases.setdefault(key, g.id) == g.id, name


@pytest.mark.parametrize("spelling, expected", [
    ("rtx-4090", "rtx-4090"), ("NVIDIA GeForce RTX 4090", "rtx-4090"), ("4090", "rtx-4090"),
    ("NVIDIA H100 80GB HBM3", "h100-sxm"), ("NVIDIA-A100-SXM4-80GB", "a100-80gb"), ("nvidia-tesla-t4", "t4"),
    ("nvidia-l4", "l4"), ("AMD Instinct MI300X", "mi300x")])
def test_spellings_find_the_card(spelling, expected):
    assert find_gpu(spelling).id == expected


def test_inventory_forms():
    assert parse_inventory("rtx-4090").gpu("7").id == "rtx-4090"
    inv = parse_inventory("0=rtx-4090,1=a100-80gb")
    assert inv.gpu("0").id == "rtx-4090" and inv.gpu("1").id == "a100-80gb" and inv.gpu("2") is None
    assert parse_inventory({"0": "l4", "*": "t4"}).gpu("5").id == "t4"
    with pytest.raises(InventoryError, match="unknown GPU 'rtx-9999'"):
        parse_inventory("rtx-9999")


def test_nvidia_smi_is_read_with_its_real_totals(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nprintf '0, NVIDIA GeForce RTX 4090, 24564\\n1, NVIDIA GeForce RTX 4090, 24217\\n'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    inv = from_nvidia_smi()
    assert inv.gpu("0").id == "rtx-4090" and inv.gpu("1").memory_mib == 24217
    # the table's CUDA total belongs to the table's memory.total; another total falls back to its own
    assert inv.gpu("0").cuda_memory_bytes == int(23.64 * 1024**3)
    assert inv.gpu("1").cuda_total_gib is None and inv.gpu("1").cuda_memory_bytes == 24217 * 1024**2


def test_unknown_gpu_in_configuration_is_a_diagnostic(tmp_path):
    from vllm_lint.config import ConfigError, load

    path = tmp_path / ".vllm-lint.yaml"
    path.write_text("vllm-version: '0.11.0'\nhardware: rtx-9999\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert "unknown GPU 'rtx-9999'" in str(err.value) and ":2:" in str(err.value)
