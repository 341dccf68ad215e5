import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

/**
 * Hand-built tokens for tests: the attack suite needs headers and signatures no well-behaved
 * library would produce, so encoding is done by hand here.
 */
export function b64(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function rawToken(headerJson: string, payloadJson: string, signature: Buffer | string = ''): string {
  return `${b64(headerJson)}.${b64(payloadJson)}.${typeof signature === 'string' ? signature : b64(signature)}`;
}

export function signHs(header: object, payload: object, secret: string | Buffer, hash = 'sha256'): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${b64(createHmac(hash, secret).update(input).digest())}`;
}

export function signRawHs(headerJson: string, payloadJson: string, secret: string | Buffer): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}

export function signAsym(header: object, payload: object, privateKey: KeyObject): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const alg = (header as { alg: string }).alg;
  const digest = alg.endsWith('384') ? 'sha384' : alg.endsWith('512') ? 'sha512' : 'sha256';
  const sig = alg.startsWith('ES')
    ? sign(digest, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
    : sign(digest, Buffer.from(input), privateKey);
  return `${input}.${b64(sig)}`;
}

export function ecKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function rsaKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
