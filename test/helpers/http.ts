import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import https from 'node:https';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Trust anchors for https URLs (PEM): only these, as `curl --cacert` does. */
  readonly ca?: string;
  /** SNI and the name the certificate must carry, when the URL names an address. */
  readonly servername?: string;
}

/** One request on a fresh connection (no agent), the whole body read as UTF-8. */
export function request(url: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
        agent: false,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.servername !== undefined ? { servername: options.servername } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
