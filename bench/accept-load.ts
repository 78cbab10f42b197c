// The load generator of bench/accept.ts, in a process of its own (so that it does not share the
// sequencer's event loop): autocannon POSTs signed transfers to /v1/txs over `connections`
// keep-alive connections for `duration` seconds, connection i sending the transfers of sender i
// in nonce order (each waits for its answer before the next, so its nonces arrive in order).
// Prints autocannon's result as one JSON line.
//
//   node --import tsx bench/accept-load.ts '{"url": …, "bodies": <file>, "connections": 64, "duration": 10}'
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

interface Args {
  url: string;
  /** JSON file: one array of request bodies (JSON strings) per sender, in nonce order. */
  bodies: string;
  connections: number;
  duration: number;
}

const a = JSON.parse(process.argv[2]!) as Args;
const bodies = JSON.parse(readFileSync(a.bodies, "utf8")) as string[][];
if (bodies.length < a.connections) throw new Error(`${bodies.length} senders' transfers for ${a.connections} connections`);
let nextSender = 0;
let exhausted = 0;

const result = await autocannon({
  url: `${a.url}/v1/txs`,
  method: "POST",
  headers: { "content-type": "application/json" },
  connections: a.connections,
  duration: a.duration,
  // One sender per connection: its next transfer once the answer to the last one is in.
  setupClient: (client) => {
    const list = bodies[nextSender++ % bodies.length]!;
    let next = 0;
    client.setBody(list[next]!);
    client.on("response", () => {
      if (++next >= list.length) exhausted++; // sent again: a 409 the table reports
      client.setBody(list[next % list.length]!);
    });
  },
});
console.log(JSON.stringify({ ...result, exhausted }));
