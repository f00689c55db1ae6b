// The core run every runtime check performs with the package as users import it:
// a succeeding task, a failing one (a real TaskError), and a mindproxy cancel. It takes the
// package's exports and the simulator URL and returns a plain summary, so the Node,
// workerd, Deno and Chromium checks can all compare it with `expected`.

/** What `scenario` returns in every runtime. */
export const expected = {
  ok: { state: "succeeded", outputs: 1, queued: true },
  failed: { isTaskError: true, isError: true, name: "TaskError", code: "failed", updateState: "failed" },
  canceled: { state: "canceled" },
  invalid: { code: "invalid_argument" },
};

/** Runs the scenario with the package `pkg` against the simulator at `simUrl`. */
export async function scenario(pkg, simUrl) {
  const { TaskClient, TaskError, ready } = pkg;
  await ready;
  const poll = { initialDelayMs: 50, maxDelayMs: 200, timeoutMs: 20_000 };
  const apixo = new TaskClient({ provider: "apixo", baseUrl: `${simUrl}/apixo`, apiKey: "sim-key", poll });
  const updates = [];
  const done = await apixo.run(
    { model: "sim-fast", input: { prompt: "a lighthouse", _sim: { queue_ms: 50, run_ms: 150 } } },
    { onUpdate: (u) => updates.push(u.state) },
  );
  let failed;
  try {
    await apixo.run({ model: "sim-fast", input: { prompt: "x", _sim: { queue_ms: 0, run_ms: 50, outcome: "failed" } } });
    failed = { resolved: true };
  } catch (e) {
    failed = {
      isTaskError: e instanceof TaskError,
      isError: e instanceof Error,
      name: e.name,
      code: e.code,
      updateState: e.update?.state,
    };
  }
  const mind = new TaskClient({ provider: "mindproxy", baseUrl: `${simUrl}/mindproxy`, apiKey: "sim-key", poll });
  const sub = await mind.submit({
    taskType: "async_image", model: "sim-slow", input: { prompt: "slow", _sim: { queue_ms: 5000, run_ms: 5000 } },
  });
  const canceled = await mind.cancel(sub.id, "test");
  let invalid;
  try {
    new TaskClient({ provider: "apixo", baseUrl: "not a url" });
    invalid = { constructed: true };
  } catch (e) {
    invalid = { code: e.code };
  }
  return {
    ok: { state: done.state, outputs: done.outputs?.length ?? 0, queued: updates.length > 0 },
    failed,
    canceled: { state: canceled.state },
    invalid,
  };
}
