"""A scripted tool-calling model for the agents tests, on tests/llm_server.py's loopback server.

    model = ScriptedAgent(plans={question: Plan(...)})
    with LLMTestServer(responder=model) as srv: ...

A plan says what the "model" does in a conversation, step by step (one step per assistant turn):
``("search", query)``, ``("visit", url)``, ``("answer", text)``, ``("bad_args",)`` (a tool call with
arguments that are not JSON), ``("bad_tool",)`` (an unknown tool). ``right_attempts``: the attempts
(the request's ``seed``) that answer the plan's answer; the others answer ``wrong``. A question
without a plan answers "I do not know" at once. Tool results are checked to be in the conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tests.llm_server import Call, Reply, raw


def completion(message: dict, *, prompt_tokens: int = 50, completion_tokens: int = 10) -> Reply:
    body = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test-model",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}
    return raw(200, json.dumps(body))


def tool_call(name: str, arguments: str, n: int) -> Reply:
    return completion({"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}]})


def answer(text: str) -> Reply:
    return completion({"role": "assistant", "content": f"Answer: {text}"})


@dataclass
class Plan:
    steps: list[tuple] = field(default_factory=list)
    answer: str = ""
    right_attempts: frozenset[int] = frozenset({0, 1, 2, 3})
    wrong: str = "Nobody"


@dataclass
class ScriptedAgent:
    plans: dict[str, Plan] = field(default_factory=dict)
    judge_yes: bool = False

    def __call__(self, call: Call) -> Reply:
        msgs = call.messages
        body = call.body if isinstance(call.body, dict) else {}
        if not body.get("tools"):  # the judge
            return completion({"role": "assistant", "content": "yes" if self.judge_yes else "no"})
        question = next((m["content"] for m in msgs if m.get("role") == "user"), "")
        plan = self.plans.get(question)
        step = sum(1 for m in msgs if m.get("role") == "assistant")
        if plan is None:
            return answer("I do not know")
        if step < len(plan.steps):
            act = plan.steps[step]
            if act[0] == "search":
                return tool_call("search", json.dumps({"query": act[1], "k": 5}), step)
            if act[0] == "visit":
                return tool_call("visit", json.dumps({"url": act[1]}), step)
            if act[0] == "bad_args":
                return tool_call("visit", "{url", step)
            if act[0] == "bad_tool":
                return tool_call("browse", "{}", step)
            raise AssertionError(f"unknown plan step {act}")
        attempt = int(body.get("seed", 0))
        return answer(plan.answer if attempt in plan.right_attempts else plan.wrong)
