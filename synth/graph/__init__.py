"""The obfuscated-question family's graph side: entity graph from a crawl (``entities``), typed values
and their obfuscation (``values``), subgraph sampling and constraint solving (``sample``, ``solve``)."""
