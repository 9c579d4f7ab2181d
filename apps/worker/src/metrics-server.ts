import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsAuthorized } from '@revmemo/config';
import type { Registry } from 'prom-client';

/**
 * The worker has no HTTP server of its own; this tiny one answers GET /metrics so Prometheus can
 * scrape job durations, charges, releases, tokens and published events where they happen.
 * Only started when WORKER_METRICS_PORT is set: a worker needs no open port to do its job. It binds
 * WORKER_METRICS_HOST (loopback by default: a sidecar or agent on the same host scrapes it; set
 * 0.0.0.0 or a private address to scrape across the network) and wants METRICS_TOKEN like the web's.
 */
export async function startMetricsServer(
  registry: Registry,
  opts: { port: number; host: string; token: string | undefined },
) {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    if (!metricsAuthorized(req.headers.authorization, opts.token)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'Send the metrics token.' } }));
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
