"""Stage 1, sources: which files to read and how to read them safely.

In: the paths given on the command line (or a git diff). Out: :class:`~vllm_lint.sources.source_file.SourceFile`
records with text and positions, YAML as located node trees (:mod:`.yamlnodes`), shell words with offsets
(:mod:`.shellwords`), compose-style interpolation (:mod:`.interpolation`) and :class:`~vllm_lint.sources.span.Span`,
the position every later stage points at.
"""
