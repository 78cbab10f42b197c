// The Prometheus text format of src/util/metrics.ts and its HTTP endpoint.
import { expect } from "chai";
import { Metrics, serveMetrics } from "../../src/util/metrics.js";
import { connectError } from "../cli/helpers.js";

describe("metrics (Prometheus text format)", function () {
  it("renders each family's HELP and TYPE, then its samples with sorted, escaped labels", function () {
    const m = new Metrics().define("zkr_x_total", "counter", "things counted").define("zkr_y", "gauge", "a level\nof something");
    expect(m.render()).to.equal("# HELP zkr_x_total things counted\n# TYPE zkr_x_total counter\n# HELP zkr_y a level\\nof something\n# TYPE zkr_y gauge\n");
    m.inc("zkr_x_total", { kind: "a" });
    m.inc("zkr_x_total", { kind: "a" }, 2);
    m.inc("zkr_x_total", { z: "1", kind: 'say "hi"\\\n' });
    m.set("zkr_y", 1.5);
    m.set("zkr_y", NaN, { at: "x" });
    expect(m.render().split("\n")).to.deep.equal([
      "# HELP zkr_x_total things counted",
      "# TYPE zkr_x_total counter",
      'zkr_x_total{kind="a"} 3',
      'zkr_x_total{kind="say \\"hi\\"\\\\\\n",z="1"} 1',
      "# HELP zkr_y a level\\nof something",
      "# TYPE zkr_y gauge",
      "zkr_y 1.5",
      'zkr_y{at="x"} NaN',
      "",
    ]);
    expect(m.get("zkr_x_total", { kind: "a" })).to.equal(3);
  });

  it("refuses undefined families, the wrong type, a shrinking counter and bad names", function () {
    const m = new Metrics().define("c_total", "counter", "c");
    expect(() => m.set("c_total", 1)).to.throw("metric c_total is a counter");
    expect(() => m.inc("nope")).to.throw("metric nope is not defined");
    expect(() => m.inc("c_total", undefined, -1)).to.throw("counter c_total can only grow");
    expect(() => m.define("c_total", "gauge", "again")).to.throw("defined twice");
    expect(() => m.define("bad-name", "gauge", "x")).to.throw('bad metric name "bad-name"');
    expect(() => m.inc("c_total", { "bad-label": "x" })).to.throw('bad metric label name "bad-label"');
  });

  it("serves GET /metrics on 127.0.0.1, 404 elsewhere, and closes", async function () {
    const m = new Metrics().define("up", "gauge", "1 if up");
    m.set("up", 1);
    const s = await serveMetrics(m, 0);
    try {
      expect(s.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await fetch(s.url);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("text/plain; version=0.0.4; charset=utf-8");
      expect(await res.text()).to.equal("# HELP up 1 if up\n# TYPE up gauge\nup 1\n");
      expect((await fetch(s.url.replace("/metrics", "/other"))).status).to.equal(404);
      const taken = await serveMetrics(m, Number(new URL(s.url).port)).then(
        () => "served twice",
        (e: Error) => e.message,
      );
      expect(taken).to.match(/^the metrics port 127\.0\.0\.1:\d+ is in use$/);
    } finally {
      await s.close();
    }
    expect(await connectError(s.url)).to.equal("ECONNREFUSED");
  });
});
