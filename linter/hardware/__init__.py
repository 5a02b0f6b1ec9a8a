"""Knowledge of the GPUs: the card table (``knowledge/gpus.yaml``) and the inventory that maps device ids to
cards (configuration ``hardware:``, ``--gpu``, or nvidia-smi). Out: :class:`~vllm_lint.hardware.gpu.Gpu` records.
"""
