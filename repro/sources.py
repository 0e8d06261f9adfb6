"""The tags that mark where a paper value in a claim comes from: one per evidence class
(PROTOCOL.md, "Sources and tags", names each source in full; "Paper-tier settings and their
sources" gives every setting its class)."""
from __future__ import annotations

TAGS = {
    "[text]": "the paper's own words, quoted (where only a third party's copy was read, the claim "
              "says whose)",
    "[figure]": "read off one of the paper's figures, or its content as described: approximate, "
                "so bounds are wide",
    "[repl]": "from the result files of a public replication of the paper (PROTOCOL.md, Sources "
              "and tags, names the repository and files)",
    "[auth]": "from the code or results the authors released with the same paper (PROTOCOL.md, "
              "Sources and tags, names the repository)",
    "[group]": "from code the authors' group released with another paper (PROTOCOL.md names the "
               "paper and file)",
    "[ours]": "our choice or reading, where no source gives the value (PROTOCOL.md gives the "
              "reason)",
}


def legend() -> str:
    return "Sources of paper values: " + "; ".join(f"{t} {d}" for t, d in TAGS.items()) + "."
