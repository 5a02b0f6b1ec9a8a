"""The values every option's ``type`` function is probed with: ``dump_vllm_cli.py`` records what the real
function returned for each, ``build_vllm_cli.py`` turns those probes into the conversion descriptors of
``knowledge/vllm/cli/options.json``. Both import it from here (one direction: dump -> build -> samples)."""

TYPE_SAMPLES = ["1", "0", "-1", "16", "1.5", "0.9", "abc", "", "None", "none", "auto", "1k",
                "128K", "1.5K", "2t", " 7 ", "1_000", "true", "image=3,video=0",
                "image:3", "a=1,a=2", "A = 1", '{"a": 1}', ' {"a": 1} ', "[1, 2]", '{"a": 1k}',
                "{bad", '{"image": 3}', "nan", "1e3"]
