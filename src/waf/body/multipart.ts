import type { BodyProcessor, BodySink } from './types.js';

/** The strictness flags ModSecurity exposes as MULTIPART_* variables. */
const FLAGS = [
  'MULTIPART_BOUNDARY_QUOTED',
  'MULTIPART_BOUNDARY_WHITESPACE',
  'MULTIPART_DATA_BEFORE',
  'MULTIPART_DATA_AFTER',
  'MULTIPART_HEADER_FOLDING',
  'MULTIPART_LF_LINE',
  'MULTIPART_CRLF_LF_LINES',
  'MULTIPART_MISSING_SEMICOLON',
  'MULTIPART_INVALID_QUOTING',
  'MULTIPART_INVALID_PART',
  'MULTIPART_INVALID_HEADER_FOLDING',
  'MULTIPART_FILE_LIMIT_EXCEEDED',
  'MULTIPART_UNMATCHED_BOUNDARY',
] as const;
type Flag = (typeof FLAGS)[number];

/** Flags that make up MULTIPART_STRICT_ERROR (ModSecurity: every one but the unmatched boundary). */
const STRICT: readonly Flag[] = FLAGS.filter(
  (f) => f !== 'MULTIPART_UNMATCHED_BOUNDARY' && f !== 'MULTIPART_CRLF_LF_LINES',
);

interface Part {
  headers: { name: string; value: string }[];
  lines: string[];
}

/**
 * multipart/form-data (RFC 7578) with ModSecurity's strictness checks. Fields become ARGS_POST,
 * file parts fill FILES / FILES_NAMES / FILES_SIZES / FILES_TMP_CONTENT, every part header lands
 * in MULTIPART_PART_HEADERS. Anomalies set the MULTIPART_* flags; structural errors are
 * returned (REQBODY_ERROR) with ModSecurity's wording, which CRS tests look for.
 */
export const multipart: BodyProcessor = (body, contentType, sink) => {
  const flags = new Set<Flag>();
  const finish = (error?: string) => {
    for (const f of FLAGS) sink.setScalar(f, flags.has(f) ? '1' : '0');
    sink.setScalar('MULTIPART_STRICT_ERROR', STRICT.some((f) => flags.has(f)) || error ? '1' : '0');
    return error === undefined ? undefined : { message: `Multipart parsing error: Multipart: ${error}` };
  };
  const boundary = parseBoundary(contentType, flags);
  if (boundary === undefined) return finish('Boundary not found or invalid');

  const dash = `--${boundary}`;
  let state: 'preamble' | 'headers' | 'data' | 'epilogue' = 'preamble';
  let part: Part | undefined;
  let sawCrlf = false;
  let sawLf = false;
  let pos = 0;
  let error: string | undefined;
  let combinedFiles = 0;

  const closePart = () => {
    if (!part) return;
    const err = emitPart(part, sink, flags);
    if (err && !error) error = err;
    if (!err) combinedFiles += fileSize(part);
    part = undefined;
  };

  while (pos < body.length && error === undefined) {
    const nl = body.indexOf('\n', pos);
    const end = nl === -1 ? body.length : nl;
    let line = body.slice(pos, end);
    const terminated = nl !== -1;
    if (terminated) {
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
        sawCrlf = true;
      } else sawLf = true;
    }
    pos = terminated ? nl + 1 : body.length;

    if (state === 'epilogue') {
      if (line !== '') flags.add('MULTIPART_DATA_AFTER');
      continue;
    }
    if (line.startsWith(dash)) {
      const rest = line.slice(dash.length);
      if (rest === '--' || rest.startsWith('--')) {
        if (rest.length > 2 && rest.slice(2).trim() !== '') flags.add('MULTIPART_DATA_AFTER');
        if (state === 'headers') error = 'Invalid boundary in part (header section not terminated)';
        closePart();
        state = 'epilogue';
        continue;
      }
      if (rest.trim() === '') {
        if (state === 'headers') error = 'Invalid boundary in part (header section not terminated)';
        closePart();
        part = { headers: [], lines: [] };
        state = 'headers';
        continue;
      }
      flags.add('MULTIPART_UNMATCHED_BOUNDARY');
    } else if (state !== 'headers' && line.startsWith('--') && looksLikeBoundary(line, boundary)) {
      flags.add('MULTIPART_UNMATCHED_BOUNDARY');
    }
    if (state === 'preamble') {
      if (line !== '') flags.add('MULTIPART_DATA_BEFORE');
      continue;
    }
    if (state === 'headers') {
      if (line === '') {
        state = 'data';
        continue;
      }
      if (line[0] === ' ' || line[0] === '\t') {
        const last = part!.headers[part!.headers.length - 1];
        if (!last) {
          flags.add('MULTIPART_INVALID_HEADER_FOLDING');
          error = 'Invalid part header (folding error)';
          continue;
        }
        flags.add('MULTIPART_HEADER_FOLDING');
        last.value += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      for (let i = 0; i < name.length; i++) {
        const c = name.charCodeAt(i);
        // ModSecurity: a header name holds only visible ASCII (33-126).
        if (c < 33 || c > 126) {
          error = 'Invalid part header (contains invalid character)';
          break;
        }
      }
      if (error) break;
      if (colon === -1) {
        error = 'Invalid part header (colon missing)';
        break;
      }
      part!.headers.push({ name, value: line.slice(colon + 1).trim() });
      continue;
    }
    // data: the line break before a boundary belongs to the boundary (RFC 2046 §5.1.1).
    part!.lines.push(line);
  }
  if (error === undefined && state !== 'epilogue') error = 'Final boundary missing';
  if (sawLf) flags.add('MULTIPART_LF_LINE');
  if (sawLf && sawCrlf) flags.add('MULTIPART_CRLF_LF_LINES');
  sink.setScalar('FILES_COMBINED_SIZE', String(combinedFiles));
  return finish(error);
};

function looksLikeBoundary(line: string, boundary: string): boolean {
  // A line that starts like our boundary but goes on differently: a possible evasion attempt.
  const probe = line.slice(2);
  return probe.length >= boundary.length && probe.slice(0, Math.min(8, boundary.length)) === boundary.slice(0, 8);
}

function fileSize(part: Part): number {
  return part.lines.join('\n').length;
}

function parseBoundary(contentType: string, flags: Set<Flag>): string | undefined {
  const idx = contentType.toLowerCase().indexOf('boundary');
  if (idx === -1) return undefined;
  const before = contentType.slice(0, idx).trimEnd();
  if (!before.endsWith(';') && !before.endsWith(',')) flags.add('MULTIPART_MISSING_SEMICOLON');
  let rest = contentType.slice(idx + 'boundary'.length);
  if (/^\s/.test(rest)) flags.add('MULTIPART_BOUNDARY_WHITESPACE');
  rest = rest.trimStart();
  if (!rest.startsWith('=')) return undefined;
  rest = rest.slice(1);
  if (/^\s/.test(rest)) flags.add('MULTIPART_BOUNDARY_WHITESPACE');
  rest = rest.trimStart();
  let value: string;
  if (rest.startsWith('"')) {
    flags.add('MULTIPART_BOUNDARY_QUOTED');
    const close = rest.indexOf('"', 1);
    if (close === -1) return undefined;
    value = rest.slice(1, close);
  } else {
    const semi = rest.search(/[;,]/);
    value = (semi === -1 ? rest : rest.slice(0, semi)).trimEnd();
    if (/\s/.test(value)) flags.add('MULTIPART_BOUNDARY_WHITESPACE');
  }
  // RFC 2046 §5.1.1: 1-70 characters from a restricted set.
  if (value === '' || value.length > 70 || !/^[0-9A-Za-z'()+_,\-./:=? ]+$/.test(value)) return undefined;
  return value;
}

function emitPart(part: Part, sink: BodySink, flags: Set<Flag>): string | undefined {
  const cd = part.headers.find((h) => h.name.toLowerCase() === 'content-disposition');
  if (!cd) return 'Part missing Content-Disposition header';
  const params = parseDisposition(cd.value, flags);
  if (params === undefined) return 'Invalid Content-Disposition header';
  const name = params.get('name');
  if (name === undefined) {
    flags.add('MULTIPART_INVALID_PART');
    return 'Content-Disposition header missing name field';
  }
  for (const h of part.headers) sink.addToCollection('MULTIPART_PART_HEADERS', name, `${h.name}: ${h.value}`);
  const content = part.lines.join('\n');
  const filename = params.get('filename') ?? params.get('filename*');
  sink.addToCollection('MULTIPART_NAME', name, name);
  if (filename === undefined) {
    sink.addArgument(name, content);
    return undefined;
  }
  sink.addToCollection('MULTIPART_FILENAME', name, filename);
  sink.addToCollection('FILES', name, filename);
  sink.addToCollection('FILES_SIZES', name, String(content.length));
  sink.addToCollection('FILES_TMP_CONTENT', name, content);
  sink.addToCollection('FILES_TMPNAMES', name, filename);
  return undefined;
}

/** `form-data; name="a"; filename="b"`: undefined when it is not form-data at all. */
function parseDisposition(value: string, flags: Set<Flag>): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = value.indexOf(';');
  const type = (i === -1 ? value : value.slice(0, i)).trim().toLowerCase();
  if (type !== 'form-data') return undefined;
  while (i !== -1 && i < value.length) {
    i++;
    while (value[i] === ' ' || value[i] === '\t') i++;
    const eq = value.indexOf('=', i);
    if (eq === -1) {
      if (value.slice(i).trim() !== '') flags.add('MULTIPART_INVALID_PART');
      break;
    }
    const key = value.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (value[j] === ' ') j++;
    let v = '';
    if (value[j] === '"') {
      j++;
      for (; j < value.length; j++) {
        const c = value[j]!;
        // ModSecurity unescapes only \" and \\ in a quoted parameter; `1.j\s\p` stays as sent.
        if (c === '\\' && (value[j + 1] === '"' || value[j + 1] === '\\')) {
          v += value[++j];
          continue;
        }
        if (c === '"') break;
        v += c;
      }
      if (j >= value.length) flags.add('MULTIPART_INVALID_QUOTING');
      j++;
    } else {
      if (value[j] === "'") flags.add('MULTIPART_INVALID_QUOTING');
      const semi = value.indexOf(';', j);
      v = (semi === -1 ? value.slice(j) : value.slice(j, semi)).trim();
      j = semi === -1 ? value.length : semi;
    }
    if (params.has(key)) flags.add('MULTIPART_INVALID_PART');
    params.set(key, v);
    const semi = value.indexOf(';', j);
    if (semi === -1) {
      if (value.slice(j).trim() !== '') flags.add('MULTIPART_INVALID_QUOTING');
      break;
    }
    i = semi;
  }
  return params;
}
