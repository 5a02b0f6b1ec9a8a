"""The team's router model: Qwen3 with extra routing heads (its configuration class, loaded through auto_map)."""
from transformers import Qwen3Config


class AcmeRouterConfig(Qwen3Config):
    model_type = "acme_router"

    def __init__(self, num_route_heads: int = 4, **kwargs):
        self.num_route_heads = num_route_heads
        super().__init__(**kwargs)
