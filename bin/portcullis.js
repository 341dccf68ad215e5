#!/usr/bin/env node
// Runs the compiled CLI (npm run build). During development: npx tsx src/cli/main.ts
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`portcullis: ${error.message}\n`);
    process.exitCode = 1;
  },
);
