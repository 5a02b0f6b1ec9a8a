from vllm_lint.cli import main

main()
