"""The language server (``vllm-lint server``): the engine behind an editor, over LSP 3.17 on stdio.

In: the documents the editor has open (their unsaved text) and its requests. Out: diagnostics for every file
of the project a document belongs to (a compose file with its ``.env`` and override), code actions for the
fixes, hovers (an option's documentation for the pinned release; the launch's memory per GPU on the memory
options), completion of option names and choices.

- :mod:`.session`: lints a document as the editor holds it (:mod:`vllm_lint.sources.overlay`: no file is
  written), remembers the result per document, and answers hovers and completions from it. No pygls.
- :mod:`.server`: the protocol, on pygls (imported only by ``vllm-lint server``): debouncing, publishing,
  converting positions to the encoding the client negotiated.
"""
