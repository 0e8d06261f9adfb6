"""The tags that mark where a paper value in a claim comes from (PROTOCOL.md, "Sources and tags",
names each source in full)."""
from __future__ import annotations

TAGS = {
    "[text]": "stated in the paper's text",
    "[approx]": "read off a figure of the paper, or paraphrased from it: bounds are wide",
    "[repl]": "from the result files of a public replication of the paper (PROTOCOL.md, Sources "
              "and tags, names the repository and files)",
    "[auth]": "from the results the authors released with their code (PROTOCOL.md, Sources and "
              "tags, names the repository)",
}


def legend() -> str:
    return "Sources of paper values: " + "; ".join(f"{t} {d}" for t, d in TAGS.items()) + "."
