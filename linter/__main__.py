from vllm_lint.entry import main

main()
