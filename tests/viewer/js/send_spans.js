// SPDX-License-Identifier: Apache-2.0
// Sends spans to `ctxflow serve` through the official OpenTelemetry JS OTLP/HTTP exporters and
// writes what was sent, as the SDK handed it to the exporter, to a JSON file that the test
// compares with what the server answers.
//
//   node send_spans.js --url URL --protocol proto|json --out FILE            known spans
//   node send_spans.js --url URL --protocol proto --out FILE --burst N        N spans at once
//
// Exit status: 0 every export succeeded, 1 an export failed, 2 bad arguments.
'use strict';

const fs = require('fs');
const api = require('@opentelemetry/api');
const { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { OTLPTraceExporter: ProtoExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonExporter } = require('@opentelemetry/exporter-trace-otlp-http');

function parseArgs(argv) {
  const args = { burst: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--url') args.url = value;
    else if (name === '--protocol') args.protocol = value;
    else if (name === '--out') args.out = value;
    else if (name === '--burst') args.burst = Number(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!args.url || !args.out || !['proto', 'json'].includes(args.protocol)) {
    throw new Error('usage: --url URL --protocol proto|json --out FILE [--burst N]');
  }
  return args;
}

// Passes every batch on to the real exporter and keeps the spans and the export results.
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.spans = [];
    this.failures = [];
  }
  export(spans, done) {
    this.spans.push(...spans);
    this.inner.export(spans, (result) => {
      if (result.code !== 0) this.failures.push(String(result.error || result.code));
      done(result);
    });
  }
  forceFlush() { return this.inner.forceFlush(); }
  shutdown() { return this.inner.shutdown(); }
}

// An attribute value as the test reads it back: its OTLP type and its value.
function typed(value) {
  const kind = (v) => (typeof v === 'string' ? 'string'
    : typeof v === 'boolean' ? 'bool'
      : Number.isInteger(v) ? 'int' : 'double');
  if (Array.isArray(value)) {
    return { type: `${value.length ? kind(value[0]) : 'string'}[]`, value: value.map((v) => (kind(v) === 'int' ? String(v) : v)) };
  }
  const k = kind(value);
  return { type: k, value: k === 'int' ? String(value) : value };
}

function attributes(obj) {
  return Object.entries(obj || {}).map(([key, value]) => ({ key, ...typed(value) }));
}

// [seconds, nanoseconds] as a decimal string of nanoseconds, exactly.
function nanos(hr) {
  return (BigInt(hr[0]) * 1000000000n + BigInt(hr[1])).toString();
}

function describe(span) {
  const ctx = span.spanContext();
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext ? span.parentSpanContext.spanId : '',
    name: span.name,
    kind: span.kind + 1, // the API's SpanKind counts from INTERNAL = 0; OTLP from 1
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: attributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount || 0,
    events: span.events.map((e) => ({ name: e.name, timeUnixNano: nanos(e.time), attributes: attributes(e.attributes) })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: attributes(l.attributes) })),
    status: { code: span.status.code, message: span.status.message || '' },
    resource: attributes(span.resource.attributes),
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version || '' },
  };
}

// Fixed times, so that the comparison is exact: 2024-01-01T00:00:00Z plus offsets.
const base = 1704067200;
const at = (ms, extraNanos = 0) => [base + Math.floor(ms / 1000), (ms % 1000) * 1000000 + extraNanos];

function knownSpans(tracer) {
  const root = tracer.startSpan('GET /checkout', {
    kind: api.SpanKind.SERVER,
    startTime: at(0, 123),
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'app.ratio': 0.25,
      'app.cached': false,
      'app.tags': ['a', 'b', 'c'],
      'app.sizes': [1, 2, 3],
      'app.weights': [0.5, 1.5],
      'app.flags': [true, false],
    },
  });
  const rootCtx = api.trace.setSpan(api.ROOT_CONTEXT, root);
  const linked = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: api.TraceFlags.SAMPLED };
  const child = tracer.startSpan('charge card', {
    kind: api.SpanKind.CLIENT,
    startTime: at(10, 7),
    attributes: { 'payment.amount': 42, 'payment.currency': 'EUR' },
    links: [{ context: linked, attributes: { 'link.reason': 'retry of an earlier attempt' } }],
  }, rootCtx);
  child.addEvent('card declined', { 'decline.code': 'insufficient_funds', attempt: 2 }, at(30, 1));
  child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'payment failed' });
  child.end(at(40, 9));
  const producer = tracer.startSpan('publish order', { kind: api.SpanKind.PRODUCER, startTime: at(50) }, rootCtx);
  producer.end(at(55));
  const consumer = tracer.startSpan('process order', { kind: api.SpanKind.CONSUMER, startTime: at(60) }, rootCtx);
  consumer.addEvent('done', {}, at(70));
  consumer.end(at(80));
  const internal = tracer.startSpan('render', { kind: api.SpanKind.INTERNAL, startTime: at(81) }, rootCtx);
  internal.setStatus({ code: api.SpanStatusCode.OK });
  internal.end(at(90));
  root.end(at(100, 456));
}

function burst(tracer, n) {
  const perTrace = 100;
  for (let t = 0; t * perTrace < n; ++t) {
    const root = tracer.startSpan(`burst ${t}`, { kind: api.SpanKind.SERVER, startTime: at(t) });
    const ctx = api.trace.setSpan(api.ROOT_CONTEXT, root);
    const children = Math.min(perTrace, n - t * perTrace) - 1;
    for (let c = 0; c < children; ++c) {
      const s = tracer.startSpan(`step ${c}`, { startTime: at(t), attributes: { step: c } }, ctx);
      s.end(at(t + 1));
    }
    root.end(at(t + 2));
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`send_spans.js: ${e.message}`);
    return 2;
  }
  const Exporter = args.protocol === 'proto' ? ProtoExporter : JsonExporter;
  const exporter = new RecordingExporter(new Exporter({ url: args.url, timeoutMillis: 30000 }));
  const processor = args.burst > 0
    ? new BatchSpanProcessor(exporter, { maxQueueSize: args.burst * 2, maxExportBatchSize: 512, scheduledDelayMillis: 50, exportTimeoutMillis: 30000 })
    : new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `js-${args.protocol}`, 'deployment.environment.name': 'test', 'host.cpus': 4 }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('ctxflow-serve-test', '1.0.0');
  const started = Date.now();
  if (args.burst > 0) burst(tracer, args.burst);
  else knownSpans(tracer);
  await provider.forceFlush();
  const flushedMs = Date.now() - started;
  await provider.shutdown();
  const sent = args.burst > 0
    ? { count: exporter.spans.length, traceIds: [...new Set(exporter.spans.map((s) => s.spanContext().traceId))], flushedMs }
    : { spans: exporter.spans.map(describe) };
  sent.failures = exporter.failures;
  fs.writeFileSync(args.out, JSON.stringify(sent, null, 1));
  if (exporter.failures.length) {
    console.error(`send_spans.js: ${exporter.failures.length} exports failed: ${exporter.failures[0]}`);
    return 1;
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
