// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API
// before the library is evaluated. ES modules evaluate imports in order, so this side-effect
// import must stay first; every Portcullis module reaches the library through this file.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>);

export { x509 };
