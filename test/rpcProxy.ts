// A real JSON-RPC proxy in front of a node (hardhat node in the tests), behaving like the
// providers zkr meets in production: eth_getLogs refused over more than `maxRange` blocks or
// `maxResults` logs (as Alchemy, Infura, QuickNode do, with their error code -32005), chosen
// requests refused (a node without the "finalized" block tag), or the node unreachable for a
// while (`down`: connections are reset). Everything else is forwarded as is, batches included.
import http from "node:http";
import type { AddressInfo } from "node:net";

interface RpcRequest {
  jsonrpc: "2.0";
  id: number | string | null;
  method: string;
  params?: unknown[];
}

type RpcError = { code: number; message: string };

export interface RpcProxyOptions {
  /** eth_getLogs over more blocks than this is refused. */
  maxRange?: number;
  /** eth_getLogs whose answer holds more logs than this is refused. */
  maxResults?: number;
  /** A JSON-RPC error to answer `req` with instead of forwarding it. */
  refuse?: (req: RpcRequest) => RpcError | undefined;
}

export class RpcProxy {
  /** Block ranges of the eth_getLogs requests seen (after resolving tags), refused ones included. */
  readonly logRanges: { from: number; to: number; refused: boolean }[] = [];
  /** Reset every connection while true. */
  down = false;
  opts: RpcProxyOptions;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly upstream: string,
    opts: RpcProxyOptions,
  ) {
    this.opts = opts;
  }

  static async start(upstream: string, opts: RpcProxyOptions = {}): Promise<RpcProxy> {
    // eslint-disable-next-line prefer-const -- assigned once the server whose handler reads it exists
    let proxy: RpcProxy | undefined;
    const server = http.createServer((req, res) => void proxy!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.address() as AddressInfo;
    proxy = new RpcProxy(server, `http://127.0.0.1:${port}`, upstream, opts);
    return proxy;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = "";
    for await (const chunk of req) body += chunk;
    if (this.down) {
      req.socket.destroy();
      return;
    }
    try {
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const out = Array.isArray(parsed) ? await Promise.all(parsed.map((r) => this.one(r))) : await this.one(parsed);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(out));
    } catch (e) {
      res.statusCode = 502;
      res.end(String(e));
    }
  }

  private async one(r: RpcRequest): Promise<unknown> {
    const refused = this.opts.refuse?.(r);
    if (refused) return { jsonrpc: "2.0", id: r.id, error: refused };
    if (r.method === "eth_getLogs") return this.getLogs(r);
    return this.forward(r);
  }

  private async getLogs(r: RpcRequest): Promise<unknown> {
    const filter = (r.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string; blockHash?: string };
    if (filter.blockHash === undefined) {
      const from = await this.blockNumber(filter.fromBlock ?? "latest");
      const to = await this.blockNumber(filter.toBlock ?? "latest");
      const tooWide = this.opts.maxRange !== undefined && to - from + 1 > this.opts.maxRange;
      this.logRanges.push({ from, to, refused: tooWide });
      if (tooWide) return { jsonrpc: "2.0", id: r.id, error: { code: -32005, message: `query exceeds max block range ${this.opts.maxRange}` } };
    }
    const answer = (await this.forward(r)) as { result?: unknown[] };
    if (this.opts.maxResults !== undefined && Array.isArray(answer.result) && answer.result.length > this.opts.maxResults) {
      if (this.logRanges.length) this.logRanges[this.logRanges.length - 1]!.refused = true;
      return { jsonrpc: "2.0", id: r.id, error: { code: -32005, message: `query returned more than ${this.opts.maxResults} results` } };
    }
    return answer;
  }

  private async blockNumber(tag: string): Promise<number> {
    if (/^0x[0-9a-fA-F]+$/.test(tag)) return Number(BigInt(tag));
    if (tag === "earliest") return 0;
    const head = (await this.forward({ jsonrpc: "2.0", id: 0, method: "eth_blockNumber", params: [] })) as { result: string };
    return Number(BigInt(head.result));
  }

  private async forward(r: RpcRequest): Promise<unknown> {
    const res = await fetch(this.upstream, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r) });
    return res.json();
  }
}
