# LiteLLM's spend record of each call, without a database: the `standard_logging_object` LiteLLM
# builds for every call (what its spend logs store, response_cost included) written as one JSON
# line to $SYNROUTER_BENCH_SPEND_LOG. Loaded by the proxy config as `spend_log.spend_log`
# (bench/litellm/proxy.ts).
import json
import os

from litellm.integrations.custom_logger import CustomLogger


class SpendLog(CustomLogger):
    def _write(self, kwargs, failed):
        payload = kwargs.get("standard_logging_object") or {}
        metadata = payload.get("metadata") or {}
        row = {
            "call_id": payload.get("litellm_call_id") or kwargs.get("litellm_call_id"),
            "stream": payload.get("stream"),
            "failed": failed,
            "response_cost": payload.get("response_cost"),
            "prompt_tokens": payload.get("prompt_tokens"),
            "completion_tokens": payload.get("completion_tokens"),
            "usage": metadata.get("usage_object"),
        }
        with open(os.environ["SYNROUTER_BENCH_SPEND_LOG"], "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, False)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, True)


spend_log = SpendLog()
