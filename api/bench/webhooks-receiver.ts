// The local receiver of the webhooks bench, as a process of its own: the partner's endpoint must not share an event
// loop with the bench's producer (its mutations delayed every response, and so, one request at a time per endpoint,
// the deliveries). The test receiver (test/support/webhook-receiver.ts) plus a control port: GET /count, and
// GET /requests?from=N (the recorded requests as JSON). Prints its two URLs as a JSON line; stops on SIGTERM.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startWebhookReceiver } from "../test/support/webhook-receiver.ts";

const receiver = await startWebhookReceiver();
const control = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (url.pathname === "/count") return void res.end(String(receiver.requests.length));
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(receiver.requests.slice(Number(url.searchParams.get("from") ?? 0))));
});
control.listen(0, "127.0.0.1", () => {
  const port = (control.address() as AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ url: receiver.url(""), control: `http://127.0.0.1:${port}` })}\n`);
});
process.once("SIGTERM", () => void receiver.close().then(() => process.exit(0)));
