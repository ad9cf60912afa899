"""crawlqa agents: a frozen browsing environment over a run's pages, difficulty gates and trajectories.

* :mod:`agents.env` — ``BrowseEnv(run_dir)``: ``search`` / ``visit`` over the saved pages (no network),
  tool schemas in OpenAI function-calling form, ``call(name, arguments_json)`` dispatch;
* :mod:`agents.replay` — the golden-path replay of a record through the env's tools (reference trajectory);
* :mod:`agents.serve` — the same tools over HTTP (FastAPI);
* :mod:`agents.solve` — k tool-calling rollouts per question with any OpenAI-compatible model;
* :mod:`agents.trajectories` — export as OpenAI chat messages or ReAct text.
"""
