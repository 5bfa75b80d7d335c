import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_MAX_COST } from '../../src/cost.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/deadline.ts';
import { StartupError } from '../../src/errors.ts';

describe('operations settings', () => {
  it('default to the documented budgets, no metrics listener, info logs and tracing off', () => {
    const config = loadConfig({});
    expect(config.limits).toEqual({ maxCost: DEFAULT_MAX_COST, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS });
    expect(config.observability).toEqual({ metrics: undefined, logLevel: 'info', tracing: false });
  });

  it('read the budgets, the metrics listener and the log level from the environment', () => {
    const config = loadConfig({ FINGATE_MAX_COST: '5000', FINGATE_REQUEST_TIMEOUT_MS: '2500', FINGATE_METRICS_PORT: '9464', FINGATE_METRICS_HOST: '10.0.0.5', FINGATE_LOG_LEVEL: 'warn' });
    expect(config.limits).toEqual({ maxCost: 5000, requestTimeoutMs: 2500 });
    expect(config.observability).toMatchObject({ metrics: { port: 9464, host: '10.0.0.5' }, logLevel: 'warn' });
    expect(loadConfig({ FINGATE_METRICS_PORT: '9464' }).observability.metrics).toEqual({ port: 9464, host: '127.0.0.1' });
  });

  it('turn tracing on with an OTLP endpoint or FINGATE_TRACING=on, and off with FINGATE_TRACING=off whatever else is set', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).observability.tracing).toBe(true);
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }).observability.tracing).toBe(true);
    expect(loadConfig({ FINGATE_TRACING: 'on' }).observability.tracing).toBe(true);
    expect(loadConfig({ FINGATE_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).observability.tracing).toBe(false);
  });

  it('stop the start with a StartupError naming a bad value', () => {
    for (const [name, value] of [
      ['FINGATE_MAX_COST', '0'],
      ['FINGATE_MAX_COST', 'lots'],
      ['FINGATE_REQUEST_TIMEOUT_MS', '-1'],
      ['FINGATE_METRICS_PORT', '70000'],
      ['FINGATE_LOG_LEVEL', 'verbose'],
      ['FINGATE_TRACING', 'yes'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(StartupError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    }
  });
});
