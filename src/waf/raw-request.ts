/** A request as read from raw HTTP/1.x bytes, values as byte strings (latin1). */
export interface RawRequest {
  readonly method: string;
  readonly uri: string;
  readonly protocol: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/**
 * Reads one raw HTTP/1.x request (a file saved from curl --trace, tcpdump, or an ftw test).
 * Lenient on purpose, like the WAF's view of the wire: bare LF line ends are accepted, a bare CR
 * becomes a space, a missing version is kept as '', chunked bodies are de-chunked (RFC 9112 §7.1). Returns a
 * plain-sentence Error for input that is not a request at all.
 */
export function parseRawRequest(input: Buffer | string): RawRequest {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  let headEnd = text.indexOf('\r\n\r\n');
  let sepLength = 4;
  const lfEnd = text.indexOf('\n\n');
  if (headEnd === -1 || (lfEnd !== -1 && lfEnd < headEnd)) {
    headEnd = lfEnd;
    sepLength = 2;
  }
  if (headEnd === -1) {
    headEnd = text.length;
    sepLength = 0;
  }
  // RFC 9112 §2.2: a bare CR is not a line end; the recipient may replace it with SP.
  const lines = text
    .slice(0, headEnd)
    .split(/\r?\n/)
    .map((line) => line.replaceAll('\r', ' '));
  // RFC 9110 §5.6.3 whitespace is SP and HTAB only: String#trim and \s would also eat byte
  // 0xA0 (NBSP in latin1), which is the last byte of UTF-8 `①` (E2 91 A0).
  const requestLine = ows(lines.shift() ?? '');
  const parts = requestLine.split(/[ \t]+/);
  if (requestLine === '' || parts.length < 2) throw new Error('the first line is not an HTTP request line');
  // A raw space inside the target (a probe, refused by any strict parser) keeps the target whole
  // when the line still ends with a version.
  const versioned = parts.length > 3 && /^HTTP\//i.test(parts[parts.length - 1]!);
  const method = parts[0]!;
  const uri = versioned ? parts.slice(1, -1).join(' ') : parts[1]!;
  const protocol = versioned ? parts[parts.length - 1]! : (parts[2] ?? '');
  const headers: [string, string][] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] += ` ${ows(line)}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([ows(line.slice(0, colon)), ows(line.slice(colon + 1))]);
  }
  let body = text.slice(headEnd + sepLength);
  const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1];
  if (/\bchunked\b/i.test(header('transfer-encoding') ?? '')) body = dechunk(body);
  else {
    // RFC 9112 §6.3: without Content-Length or chunked coding a request has no body.
    const length = header('content-length');
    body = length !== undefined && /^\d+$/.test(length) ? body.slice(0, Number(length)) : '';
  }
  return { method, uri, protocol, headers, body };
}

function ows(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function dechunk(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    if (nl === -1) break;
    const size = Number.parseInt(text.slice(i, nl).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size <= 0) break;
    out += text.slice(nl + 1, nl + 1 + size);
    i = nl + 1 + size;
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
  }
  return out;
}
