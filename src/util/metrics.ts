// Metrics in the Prometheus text exposition format (version 0.0.4): counters and gauges, each
// with optional labels, rendered on demand, and a small HTTP server that answers GET /metrics
// with them (bound to 127.0.0.1 unless told otherwise). A long-running zkr process keeps its
// numbers in one Metrics and a scraper reads them; nothing here pushes anywhere.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type MetricType = "counter" | "gauge";

export type Labels = Record<string, string>;

interface Family {
  type: MetricType;
  help: string;
  /** Sample value by its rendered label set ("" for none). */
  samples: Map<string, number>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the text format quotes it: backslash, double quote and newline escaped. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelSet(labels: Labels | undefined): string {
  if (!labels) return "";
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  for (const k of keys) if (!LABEL.test(k)) throw new Error(`bad metric label name "${k}"`);
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** A set of metric families, each defined once with its type and help text. */
export class Metrics {
  private readonly families = new Map<string, Family>();

  /** Declares a family (listed, with no sample, until one is set); a family is declared once. */
  define(name: string, type: MetricType, help: string): this {
    if (!NAME.test(name)) throw new Error(`bad metric name "${name}"`);
    if (this.families.has(name)) throw new Error(`metric ${name} is defined twice`);
    this.families.set(name, { type, help, samples: new Map() });
    return this;
  }

  private family(name: string, type?: MetricType): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`metric ${name} is not defined`);
    if (type && f.type !== type) throw new Error(`metric ${name} is a ${f.type}`);
    return f;
  }

  /** Adds `by` (at least 0) to a counter. */
  inc(name: string, labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`counter ${name} can only grow, got ${by}`);
    const f = this.family(name, "counter");
    const k = labelSet(labels);
    f.samples.set(k, (f.samples.get(k) ?? 0) + by);
  }

  /** Sets a gauge. */
  set(name: string, value: number, labels?: Labels): void {
    this.family(name, "gauge").samples.set(labelSet(labels), value);
  }

  /** A sample's current value (undefined if never set). */
  get(name: string, labels?: Labels): number | undefined {
    return this.family(name).samples.get(labelSet(labels));
  }

  /** Every family in the order defined: HELP, TYPE, then its samples. */
  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${f.type}`);
      for (const [labels, v] of f.samples) out.push(`${name}${labels} ${formatValue(v)}`);
    }
    return out.join("\n") + "\n";
  }
}

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

/** Serves `metrics` at GET /metrics on host:port (port 0: any free one); anything else is a 404. */
export function serveMetrics(metrics: Metrics, port: number, host = "127.0.0.1"): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n");
      return;
    }
    const body = metrics.render();
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === "EADDRINUSE" ? `the metrics port ${host}:${port} is in use` : `cannot serve metrics on ${host}:${port}: ${e.message}`)),
    );
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      const shown = a.family === "IPv6" ? `[${a.address}]` : a.address;
      resolve({
        url: `http://${shown}:${a.port}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
