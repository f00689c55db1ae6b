// The test Worker for `tasklane/webhook`: imports the webhook build as a Worker would (the
// `workerd` condition) and answers a POST with what `verifyWebhook` made of it: the update,
// or the refusal (status, code, and whether it is the package's WebhookError).
import { verifyWebhook, WebhookError, TaskError } from "tasklane/webhook";

export default {
  async fetch(request, env) {
    try {
      const update = await verifyWebhook(request, { provider: "mirako", secret: env.WEBHOOK_SECRET });
      return Response.json({ update: { id: update.id, state: update.state } });
    } catch (e) {
      return Response.json({
        refused: { status: e.status, code: e.code, isWebhookError: e instanceof WebhookError, isTaskError: e instanceof TaskError },
      });
    }
  },
};
